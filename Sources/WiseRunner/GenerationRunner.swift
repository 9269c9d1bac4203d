import Foundation
import WiseCore
import WiseStore

/// Makes the missing images of a run: many at once, each committed as it is made.
///
/// An image already made and hashed is never made again; a failed one is tried again on the
/// next pass. Only a prompt's text reaches the generator (`GenerationItem` takes the `Prompt`
/// and keeps its text alone).
public final class GenerationRunner: Sendable {
    /// What the runner should do.
    public struct Options: Sendable {
        /// Images made per prompt.
        public var samples = 1
        public var seedRule = SeedRule()
        public var settings = GenerationSettings()
        /// Items in flight at once (the generator's capacity).
        public var concurrency = 1
        /// Where images are written: `{output}/{id}.png`, `{id}_s{sample}.png` for samples after the first.
        public var outputDirectory: URL
        public init(outputDirectory: URL) { self.outputDirectory = outputDirectory }
    }

    /// What a generation pass did.
    public struct Summary: Sendable, Equatable {
        /// Items without an image when the pass began.
        public var pending = 0
        /// Items that had an image already.
        public var alreadyMade = 0
        public var made = 0
        public var failed = 0
        /// The first few failures, `prompt 17 sample 0: reason`.
        public var failures: [String] = []
        public var seconds = 0.0
    }

    let store: ResultsStore
    let run: StoredRun
    let generator: Generator
    let options: Options

    public init(store: ResultsStore, run: StoredRun, generator: Generator, options: Options) {
        self.store = store; self.run = run; self.generator = generator; self.options = options
    }

    /// The image path of one item.
    public func outputPath(promptID: Int, sampleIndex: Int) -> String {
        options.outputDirectory.appendingPathComponent(sampleIndex == 0 ? "\(promptID).png" : "\(promptID)_s\(sampleIndex).png").path
    }

    /// Makes every missing image of the selected prompts; a failure no retry can fix for any item
    /// (`GenerationFailure.stop`) is recorded, then ends the pass with its error.
    public func generateAll(prompts: [Prompt], progress: ProgressMeter? = nil) async throws -> Summary {
        let start = ContinuousClock.now
        let byID = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0) })
        let pending = try store.pendingGenerations(run: run, ids: prompts.map(\.id), samples: options.samples)
        var summary = Summary()
        summary.pending = pending.count
        summary.alreadyMade = prompts.count * options.samples - pending.count
        do {
            try FileManager.default.createDirectory(at: options.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw FileError("cannot create image folder \(options.outputDirectory.path): \(error.localizedDescription)", kind: .cannotCreate)
        }
        progress?.start(total: pending.count)
        let counts = GenerationTally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = pending.makeIterator()
            func add(_ item: PendingGeneration) {
                guard let prompt = byID[item.promptID] else { return }
                group.addTask { try await self.make(prompt, sample: item.sampleIndex, counts: counts, progress: progress) }
            }
            for _ in 0..<max(1, options.concurrency) {
                guard let item = next.next() else { break }
                add(item)
            }
            while try await group.next() != nil {
                if let item = next.next() { add(item) }
            }
        }
        progress?.finish()
        let tally = counts.snapshot()
        summary.made = tally.made
        summary.failed = tally.failed
        summary.failures = tally.failures
        let elapsed = ContinuousClock.now - start
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }

    private func make(_ prompt: Prompt, sample: Int, counts: GenerationTally, progress: ProgressMeter?) async throws {
        let seed = options.seedRule.seed(promptID: prompt.id, sampleIndex: sample)
        let item = GenerationItem(prompt: prompt, sampleIndex: sample, seed: seed,
                                  output: outputPath(promptID: prompt.id, sampleIndex: sample), settings: options.settings)
        let result: Result<GeneratedImage, GenerationFailure>
        do {
            result = .success(try await generator.generate(item))
        } catch let failure as GenerationFailure {
            result = .failure(failure)
        }
        try await store.recordGeneration(run: run, promptID: prompt.id, sampleIndex: sample, seed: seed, result: result)
        counts.add(result, promptID: prompt.id, sampleIndex: sample)
        let now = counts.snapshot()
        progress?.update(done: now.made + now.failed, failed: now.failed, unscored: 0)
        if case .failure(let failure) = result, let stop = failure.stop { throw stop }
    }
}

/// Thread-safe counts of generation outcomes.
final class GenerationTally: @unchecked Sendable {
    private let lock = NSLock()
    private var made = 0, failed = 0
    private var failures: [String] = []

    func add(_ result: Result<GeneratedImage, GenerationFailure>, promptID: Int, sampleIndex: Int) {
        lock.lock(); defer { lock.unlock() }
        switch result {
        case .success: made += 1
        case .failure(let failure):
            failed += 1
            if failures.count < 5 { failures.append("prompt \(promptID) sample \(sampleIndex): \(failure.reason)") }
        }
    }

    func snapshot() -> (made: Int, failed: Int, failures: [String]) {
        lock.lock(); defer { lock.unlock() }
        return (made, failed, failures)
    }
}
