import Foundation
import WiseCore
import WiseStore

/// What a generation pass would make and take, for `--dry-run`: nothing is started or written.
///
/// The time comes from the store: the mean seconds per image of every image this exact
/// generator (model, settings, seed rule) made before, in any run. With no history it says so
/// and how to get one (a few images with `--limit`).
public struct GenerationEstimate: Sendable {
    /// Images the pass would make (what the run does not hold yet).
    public var images: Int
    /// Images asked for in all (selection × samples).
    public var asked: Int
    /// What the store measured of this generator.
    public var history: GeneratorHistory
    /// Processes working at once (GPUs for workers), to turn GPU time into wall time.
    public var parallel: Int

    /// Plans a pass: what the run still lacks of the selection, and the generator's measured speed.
    public init(name: String, set: PromptSet, made: PreparedGenerator, options: GenerationOptions, store: ResultsStore?,
                catalogue: Catalogue) throws {
        let ids = try options.selection().apply(to: catalogue.prompts.map(\.id))
        asked = ids.count * options.samples
        images = try store?.missingImageCount(run: name, ids: ids, samples: options.samples) ?? asked
        history = try store?.history(of: made.runSpec) ?? GeneratorHistory(images: 0, meanSeconds: nil, meanBytes: nil)
        parallel = max(1, options.adapters.worker.gpuList.count)
    }

    /// Seconds of generator time the pass would take, when measured.
    public var seconds: Double? { history.meanSeconds.map { $0 * Double(images) } }

    /// The dry run's lines.
    public func lines(run name: String) -> [String] {
        var out = ["dry run: \(images) of \(asked) images would be made for run \(name) (\(asked - images) already there); nothing was started or written"]
        if let seconds, let per = history.meanSeconds {
            let gpu = String(format: "%.2f", seconds / 3600)
            out.append("time: about \(formatDuration(seconds)) of generator time (\(gpu) GPU-hours for worker models), \(formatDuration(seconds / Double(parallel))) on \(parallel) at once; measured: \(String(format: "%.2f", per)) s per image over \(history.images) images this generator made before")
        } else {
            out.append("time: unknown, this store has no image from this exact generator yet; make a few (`--limit 3`) and dry-run again for an estimate")
        }
        return out
    }

    /// The mean image size to size a judge's requests by, when measured.
    public var meanImageBytes: Int? { history.meanBytes.map { Int($0) } }
}
