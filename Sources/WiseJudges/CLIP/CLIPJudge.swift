import Foundation
import WiseCLIP
import WiseCore

/// How CLIP measurements become the protocol's aspect scores: which text the image is
/// compared with, which measurement each aspect reads, and the cut points between levels.
///
/// Stored as JSON (`wise calibrate` writes it):
/// ```json
/// {"protocol": "legacy", "text": "explanation",
///  "measurements": {"consistency": "clip_score", "realism": "realism", "aesthetic_quality": "aesthetic"},
///  "thresholds": {"consistency": [0.65, 0.8], "realism": [0.4, 0.7], "aesthetic_quality": [5, 6]}}
/// ```
/// An aspect scores k when its measurement reaches `thresholds[aspect][k-1]` but not the next
/// cut: legacy aspects have two cuts (0, 1, 2), the verified `score` one (0, 1).
public struct CLIPCalibration: Codable, Sendable, Equatable {
    /// Which prompt text the image is compared with.
    public enum TextSource: String, Codable, Sendable, CaseIterable {
        /// The prompt as the generator saw it.
        case prompt
        /// The explanation, which names the expected answer (the default).
        case explanation
        /// The mean of both CLIPScores.
        case both
    }

    public var scoringProtocol: ScoringProtocol
    public var text: TextSource
    /// The measurement each aspect is read from: `clip_score`, `realism`, `aesthetic`.
    public var measurements: [String: String]
    public var thresholds: [String: [Double]]

    enum CodingKeys: String, CodingKey {
        case scoringProtocol = "protocol", text, measurements, thresholds
    }

    public init(scoringProtocol: ScoringProtocol, text: TextSource, measurements: [String: String], thresholds: [String: [Double]]) throws {
        self.scoringProtocol = scoringProtocol
        self.text = text
        self.measurements = measurements
        self.thresholds = thresholds
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scoringProtocol = try container.decode(ScoringProtocol.self, forKey: .scoringProtocol)
        text = try container.decodeIfPresent(TextSource.self, forKey: .text) ?? .explanation
        measurements = try container.decodeIfPresent([String: String].self, forKey: .measurements) ?? Self.defaultMeasurements(scoringProtocol)
        thresholds = try container.decode([String: [Double]].self, forKey: .thresholds)
        try validate()
    }

    /// Uncalibrated cut points: cos ≈ 0.26 / 0.32 for consistency (CLIPScore 0.65 / 0.8),
    /// even odds and 0.7 for the zero-shot probabilities, 5 / 6 for a LAION aesthetic score.
    /// Fit real ones with `wise calibrate`.
    public static func defaults(for scoringProtocol: ScoringProtocol, aestheticHead: Bool) -> CLIPCalibration {
        switch scoringProtocol {
        case .legacy:
            return try! CLIPCalibration(
                scoringProtocol: .legacy, text: .explanation, measurements: defaultMeasurements(.legacy),
                thresholds: ["consistency": [0.65, 0.8], "realism": [0.5, 0.7], "aesthetic_quality": aestheticHead ? [5, 6] : [0.5, 0.7]])
        case .verified:
            return try! CLIPCalibration(
                scoringProtocol: .verified, text: .explanation, measurements: defaultMeasurements(.verified),
                thresholds: ["score": [0.8]])
        }
    }

    static func defaultMeasurements(_ scoringProtocol: ScoringProtocol) -> [String: String] {
        scoringProtocol == .legacy
            ? ["consistency": "clip_score", "realism": "realism", "aesthetic_quality": "aesthetic"]
            : ["score": "clip_score"]
    }

    /// Reads a calibration file.
    public static func load(from path: String) throws -> CLIPCalibration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(.missingInput, "\(path): cannot read the CLIP calibration file")
        }
        do {
            return try JSONDecoder().decode(CLIPCalibration.self, from: data)
        } catch let error as CLIPError {
            throw CLIPError(error.kind, "\(path): \(error.message)")
        } catch {
            throw CLIPError(.badData, "\(path): not a CLIP calibration (\(error))")
        }
    }

    /// The calibration as canonical JSON (sorted keys), as recorded in the judge's spec.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    func validate() throws {
        let cuts = scoringProtocol.maxAspectValue
        for aspect in scoringProtocol.aspects {
            guard let name = measurements[aspect], CLIPJudge.measurementNames.contains(name) else {
                throw CLIPError(.badData, "calibration: aspect \(aspect) needs a measurement, one of \(CLIPJudge.measurementNames.sorted().joined(separator: ", "))")
            }
            guard let points = thresholds[aspect], points.count == cuts, points == points.sorted() else {
                throw CLIPError(.badData, "calibration: aspect \(aspect) needs \(cuts) ascending threshold(s)")
            }
        }
    }

    /// The level a measurement reaches: how many cut points it is at or above.
    public func level(_ aspect: String, _ value: Double) -> Double {
        Double((thresholds[aspect] ?? []).filter { value >= $0 }.count)
    }
}

/// The `clip` judge: scores an image from CLIP similarities, deterministically, on the CPU.
///
/// For each image it measures `clip_score` (CLIPScore, 2.5 · max(cos, 0), against the
/// calibration's text: `clip_score_prompt`, `clip_score_explanation` are both recorded),
/// `realism` (zero-shot probability of "a photograph" against "a 3d rendering"), and
/// `aesthetic` (the LAION head's score when one is given, else the zero-shot probability of
/// "a beautiful picture" against "an ugly picture"). The calibration's thresholds turn these
/// into aspects; every measurement is kept in the verdict's evidence. An image that cannot
/// be decoded is an unscored verdict, not an error.
public final class CLIPJudge: Judge {
    static let measurementNames: Set<String> = ["clip_score", "realism", "aesthetic"]
    static let realismTexts = ["a photograph", "a 3d rendering"]
    static let aestheticTexts = ["a beautiful picture", "an ugly picture"]

    public let spec: AdapterSpec
    public let model: CLIPModel
    public let calibration: CLIPCalibration
    public let aestheticHead: AestheticHead?
    /// The model's files (and the head's) by content; its digest is the spec's `model`.
    public let identity: CLIPModelIdentity
    let anchorEmbeddings: [[Float]]
    /// What computed a verdict, kept in its evidence as the served model and fingerprint: the
    /// model's name and the BLAS kernels (they round differently in the last bits).
    let modelName: String

    /// A judge over `model`. The spec holds the SHA-256 of the model's files (see
    /// `CLIPModelIdentity`), the calibration and the protocol, so different weights, config,
    /// tokenizer, preprocessor, head or calibration make a different judge, while the same
    /// files in another folder make the same one. `modelName` (a repository id or folder) is
    /// only shown: it goes into each verdict's evidence, not into the spec. `aestheticHeadName`
    /// is no longer used (the head's digest identifies it) and stays for existing callers.
    ///
    /// The model's files are hashed with the one hasher (libcrypto); with `digestCache` the digests
    /// are remembered beside the files, so an unchanged model is not hashed again. `hash` is for
    /// tests that count what was hashed.
    public init(
        model: CLIPModel, modelName: String, calibration: CLIPCalibration, aestheticHead: AestheticHead? = nil, aestheticHeadName: String? = nil,
        hash: (Data) -> String = { SHA256.hex($0) }, digestCache: Bool = true
    ) throws {
        if let head = aestheticHead, head.inputWidth != model.config.projectionDim {
            throw CLIPError(.badData, "the aesthetic head takes \(head.inputWidth)-wide embeddings; the model makes \(model.config.projectionDim)")
        }
        self.model = model
        self.calibration = calibration
        self.aestheticHead = aestheticHead
        self.modelName = modelName
        identity = try CLIPModelIdentity(directory: model.directory, aestheticHead: aestheticHead?.path, hash: hash, cache: digestCache)
        anchorEmbeddings = model.embedTexts(Self.realismTexts + Self.aestheticTexts)
        var parameters = [
            "model": "sha256:" + identity.digest,
            "protocol": calibration.scoringProtocol.rawValue,
            "calibration": calibration.canonicalJSON,
            "projection_dim": String(model.config.projectionDim),
        ]
        if aestheticHead != nil { parameters["aesthetic_head"] = "sha256:" + (identity.files["aesthetic_head"] ?? "") }
        spec = AdapterSpec(adapter: "clip", parameters: parameters)
    }

    public func judge(_ request: JudgeRequest) async throws -> Verdict {
        try await judge([request])[0]
    }

    /// Judges many images; verdicts come back in request order and are bit-identical to
    /// judging each alone.
    public func judge(_ requests: [JudgeRequest]) async throws -> [Verdict] {
        var images: [RGBImage] = []
        var failures: [Int: String] = [:]
        var imageIndex: [Int: Int] = [:]
        for (index, request) in requests.enumerated() {
            do {
                let image = try RGBImage(decoding: request.image)
                try checkResizable(image)
                imageIndex[index] = images.count
                images.append(image)
            } catch let error as CLIPError where error.message.hasPrefix("resizing") {
                failures[index] = "the image cannot be used: \(error)"
            } catch {
                imageIndex[index] = nil
                failures[index] = "the image cannot be decoded: \(error)"
            }
        }
        // One forward pass per image and per text: BLAS rounds a row differently depending on
        // how many rows share the call, and a verdict must not depend on its batch-mates.
        let imageEmbeddings = images.map { model.embedImages([$0])[0] }
        let texts = requests.flatMap { [$0.prompt.text, $0.prompt.explanation] }
        let textEmbeddings = texts.map { model.embedTexts([$0])[0] }
        return requests.indices.map { index in
            guard let slot = imageIndex[index] else {
                return .unscored(reason: failures[index] ?? "no image", evidence: Evidence())
            }
            let measured = measurements(image: imageEmbeddings[slot], prompt: textEmbeddings[2 * index], explanation: textEmbeddings[2 * index + 1])
            return verdict(measured)
        }
    }

    /// Refuses an image whose shortest side, resized to the model's, would make the other side
    /// too long to hold (a 1 × 10⁶ strip becomes 224 × 224 000 000 pixels before the crop).
    func checkResizable(_ image: RGBImage) throws {
        guard model.preprocessor.config.doResize else { return }
        let (width, height) = model.preprocessor.resizedSize(width: image.width, height: image.height)
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= RGBImage.defaultMaxPixels else {
            throw CLIPError(.badData, "resizing the \(image.width)x\(image.height) image to a shortest side of \(model.preprocessor.config.shortestEdge) would make \(width)x\(height) pixels, over the limit of \(RGBImage.defaultMaxPixels)")
        }
    }

    /// Every raw measurement for one image, by name.
    public func measurements(image: [Float], prompt: [Float], explanation: [Float]) -> [String: Double] {
        let promptScore = Double(CLIPModel.clipScore(imageEmbedding: image, textEmbedding: prompt))
        let explanationScore = Double(CLIPModel.clipScore(imageEmbedding: image, textEmbedding: explanation))
        var result: [String: Double] = [
            "clip_score_prompt": promptScore,
            "clip_score_explanation": explanationScore,
            "realism_zero_shot": zeroShot(image, anchorEmbeddings[0], anchorEmbeddings[1]),
            "aesthetic_zero_shot": zeroShot(image, anchorEmbeddings[2], anchorEmbeddings[3]),
        ]
        switch calibration.text {
        case .prompt: result["clip_score"] = promptScore
        case .explanation: result["clip_score"] = explanationScore
        case .both: result["clip_score"] = (promptScore + explanationScore) / 2
        }
        result["realism"] = result["realism_zero_shot"]
        if let aestheticHead {
            result["aesthetic_head"] = aestheticHead.score(image)
            result["aesthetic"] = result["aesthetic_head"]
        } else {
            result["aesthetic"] = result["aesthetic_zero_shot"]
        }
        return result
    }

    /// The aspects the calibration gives for some measurements, with all of them as evidence.
    /// A needed measurement that is NaN or infinite (weights that overflow, say) makes the
    /// verdict unscored, naming it; non-finite values stay out of the evidence, which the
    /// store keeps as JSON, where they have no spelling.
    public func verdict(_ measured: [String: Double]) -> Verdict {
        var aspects: [String: Double] = [:]
        for aspect in calibration.scoringProtocol.aspects {
            guard let name = calibration.measurements[aspect], let value = measured[name], value.isFinite else {
                let nonFinite = measured.filter { !$0.value.isFinite }.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
                let detail = nonFinite.isEmpty ? "" : " (not finite: \(nonFinite.joined(separator: ", ")))"
                return .unscored(reason: "no finite \(calibration.measurements[aspect] ?? "?") measurement for \(aspect)\(detail)", evidence: evidence(measured))
            }
            aspects[aspect] = calibration.level(aspect, value)
        }
        return .scored(AspectScores(aspects), evidence: evidence(measured))
    }

    /// The evidence for some measurements: the finite ones, the model's name and the kernels.
    func evidence(_ measured: [String: Double]) -> Evidence {
        Evidence(measurements: measured.filter { $0.value.isFinite }, servedModel: modelName, systemFingerprint: BLAS.kernels)
    }

    /// Softmax probability of the first of two texts at CLIP's temperature.
    func zeroShot(_ image: [Float], _ first: [Float], _ second: [Float]) -> Double {
        let a = Double(model.logitScale * CLIPModel.cosine(image, first))
        let b = Double(model.logitScale * CLIPModel.cosine(image, second))
        return 1 / (1 + Foundation.exp(b - a))
    }
}
