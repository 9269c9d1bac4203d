import ArgumentParser
import Foundation
import WiseCLIP
import WiseCore
import WiseHTTP
import WiseHub
import WiseOptions

/// The options of the `clip` judge: a local CLIP model scoring images against their prompts.
public struct CLIPJudgeOptions: ParsableArguments, JudgeFactory {
    public static let adapterName = "clip"
    public static let summary = "a local CLIP model in Swift on BLAS: CLIPScore and zero-shot aspects, no API and no key (a proxy for the official judge; fit it with `wise calibrate`)"

    public init() {}

    @Option(help: ArgumentHelp("The CLIP model: a folder with config.json, model.safetensors, vocab.json and merges.txt, or a Hugging Face repo id fetched with `wise models fetch`.", valueName: "dir|repo"))
    public var clipModel = "openai/clip-vit-large-patch14"

    @Option(help: ArgumentHelp("A calibration file (thresholds turning similarities into the protocol's aspects), as `wise calibrate` writes it; default: uncalibrated cut points.", valueName: "file"))
    public var calibration: String?

    @Option(help: ArgumentHelp("A LAION-style aesthetic head (safetensors, see tools/convert_aesthetic_head.py); without it aesthetics come from zero-shot text pairs.", valueName: "file"))
    public var aestheticHead: String?

    @Option(help: "Threads for the CLIP model (default: all cores).")
    public var clipThreads: Int?

    public func validate() throws {
        if let clipThreads { try checkRange("--clip-threads", clipThreads, 1...256) }
    }

    /// The model folder: the path itself when it is a folder, else the cache folder of a fetched repo.
    func modelDirectory(environment: [String: String]) throws -> String {
        if PathKind(clipModel) == .directory { return clipModel }
        guard clipModel.contains("/"), !clipModel.hasPrefix("/"), !clipModel.hasPrefix(".") else {
            throw UsageError("--clip-model \(clipModel) is neither a folder nor a repo id such as openai/clip-vit-large-patch14")
        }
        let hub = HubClient(transport: HTTPTransport(options: .init()), cacheRoot: CatalogueLocation.cacheRoot(environment))
        do { try hub.verify(repo: clipModel) } catch {
            throw UsageError("--clip-model \(clipModel) is not in the model cache (\(error)); run `wise models fetch \(clipModel)` or pass a folder")
        }
        return hub.directory(repo: clipModel).path
    }

    /// The `clip` judge: CLIPScore against the explanation (by default), zero-shot realism, an
    /// aesthetic head or zero-shot aesthetics, turned into aspects by a calibration.
    public func makeJudge(_ context: JudgeContext) throws -> MadeJudge {
        let options = self
        let scoringProtocol = context.scoringProtocol
        let environment = context.environment
        let directory = try options.modelDirectory(environment: environment)
        let model = try CLIPModel(directory: directory, threads: options.clipThreads ?? ProcessInfo.processInfo.activeProcessorCount)
        let head = try options.aestheticHead.map { try AestheticHead(path: $0, embeddingWidth: model.config.projectionDim) }
        let calibration = try options.calibration.map(CLIPCalibration.load) ?? .defaults(for: scoringProtocol, aestheticHead: head != nil)
        guard calibration.scoringProtocol == scoringProtocol else {
            throw UsageError("--calibration \(options.calibration!) is for protocol \(calibration.scoringProtocol.rawValue), the run's is \(scoringProtocol.rawValue); calibrate against a \(scoringProtocol.rawValue) run")
        }
        let name = PathKind(options.clipModel) == .directory ? URL(fileURLWithPath: options.clipModel).lastPathComponent : options.clipModel
        let judge = try CLIPJudge(model: model, modelName: name, calibration: calibration, aestheticHead: head)
        var notes: [String] = []
        if options.calibration == nil { notes.append("uncalibrated thresholds (fit them with `wise calibrate`)") }
        let advice = BLAS.kernelAdvice(environment: environment).map { ["note: " + $0] } ?? []
        // The model computes on its own threads; one image at a time keeps them all busy.
        return MadeJudge(judge: judge, notes: notes, advice: advice, maxConcurrency: 1)
    }
}
