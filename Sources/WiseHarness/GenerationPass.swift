import Foundation
import WiseCore
import WiseRunner
import WiseStore

/// What a generation pass left: the run, what was made and what failed.
public struct GenerationOutcome: Sendable {
    public var run: StoredRun
    public var summary: GenerationRunner.Summary

    /// The `.incomplete` error to end the command with when any image failed (nil when none did):
    /// `3 of 40 images failed (prompt 7 sample 0: …); run the same command again to retry only those`.
    /// Callers print the board first, so a shard whose images all failed never looks successful.
    public var incomplete: OutcomeError? {
        guard summary.failed > 0 else { return nil }
        let shown = summary.failures.prefix(3).map { $0.count > 160 ? $0.prefix(159) + "…" : Substring($0) }
        let more = summary.failed > shown.count ? "; \(summary.failed - shown.count) more in `wise failures \(run.name)`" : ""
        return OutcomeError("\(summary.failed) of \(summary.pending) images failed (\(shown.joined(separator: "; "))\(more)); run the same command again to retry only those",
                            kind: .incomplete)
    }
}

/// Makes the missing images of a run (creating the run when new), printing what was done; shared by `generate` and `run`.
///
/// Failed images are rows in the store, not errors: the pass returns normally and the caller
/// ends with `outcome.incomplete` after printing what it prints.
public func generateImages(name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, made: PreparedGenerator,
                    options: GenerationOptions, store: ResultsStore, catalogue: Catalogue? = nil) async throws -> GenerationOutcome {
    let catalogue = try catalogue ?? loadCatalogue(set)
    let selection = try options.selection()
    let ids = selection.apply(to: catalogue.prompts.map(\.id))
    guard !ids.isEmpty else {
        throw UsageError("\(selection.description) selects no prompt of set \(set.rawValue); widen --ids, --limit or --shard")
    }
    let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol ?? set.defaultProtocol,
                       generator: made.runSpec, catalogueHash: catalogue.contentHash)
    // Check the run and start the workers before writing anything, so a clash or a worker that
    // will not start leaves the store as it was.
    let existing = try store.run(named: name)
    if let existing, existing.fingerprint != spec.fingerprint {
        _ = try store.beginRun(spec, catalogue: catalogue)  // throws the clash, writing nothing
    }
    let pendingCount = try existing.map { try store.pendingGenerations(run: $0, ids: ids, samples: options.samples).count }
        ?? ids.count * options.samples
    let generator = made.generator
    if pendingCount > 0 {
        if let line = generator.startLine { Console.note(line) }
        do { try await generator.start() } catch {
            await generator.finish(grace: 1)
            throw error
        }
    }
    let (run, created): (StoredRun, Bool)
    let seedRule = SeedRule(base: options.seedBase)
    do {
        (run, created) = try store.beginRun(spec, catalogue: catalogue)
        try store.recordGenerationPass(run: run, generator: made.runSpec, selection: selection, requestedIDs: ids,
                                       samples: options.samples, seedRule: seedRule)
    } catch {
        await generator.finish(grace: 1)
        throw error
    }
    var runnerOptions = GenerationRunner.Options(outputDirectory: URL(fileURLWithPath: options.outputDirectory(run: name), isDirectory: true).standardizedFileURL)
    runnerOptions.samples = options.samples
    runnerOptions.seedRule = seedRule
    runnerOptions.settings = made.settings
    runnerOptions.concurrency = made.capacity
    let runner = GenerationRunner(store: store, run: run, generator: made.generator, options: runnerOptions)
    let prompts = catalogue.prompts.filter { Set(ids).contains($0.id) }
    let progress = ProgressMeter(label: "generating \(name)", interval: options.generateProgressInterval)
    let summary: GenerationRunner.Summary
    do {
        summary = try await runner.generateAll(prompts: prompts, progress: pendingCount > 0 ? progress : nil)
    } catch {
        await generator.finish(grace: 1)
        throw error
    }
    await generator.finish(grace: 10)
    Console.note("""
        run \(run.name) (\(created ? "new" : "existing"), set \(run.set.rawValue), \(made.runSpec.summary)): \
        \(selection.description), \(ids.count) prompts × \(options.samples) samples; \(summary.made) images made, \
        \(summary.alreadyMade) already made, \(summary.failed) failed in \(String(format: "%.1f", summary.seconds)) s; store \(store.path)
        """)
    for failure in summary.failures { Console.note("failed: \(failure)") }
    if summary.failed > 0 { Console.note("run the same command again to retry only the \(summary.failed) failed images") }
    if !selection.isAll { Console.note("asked for ids \(PromptSelection.ranges(ids)); the report counts the other prompts as missing") }
    return GenerationOutcome(run: run, summary: summary)
}
