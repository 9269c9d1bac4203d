import Foundation
import WiseCore
import WiseStore

/// `wise judge` and `wise generate` on a named run: the checks between the flags and the passes.
public enum RunJudging {
    /// Judges the images of a registered run, refusing a protocol other than the run's own.
    public static func judge(run name: String, scoringProtocol: ScoringProtocol?, selection: SelectionOptions,
                             options: JudgeOptions, store storeOptions: StoreOptions) async throws {
        let store = try storeOptions.openExisting()
        let run = try store.requireRun(name)
        if let scoringProtocol, scoringProtocol != run.scoringProtocol {
            throw UsageError("run '\(name)' uses protocol \(run.scoringProtocol.rawValue), not \(scoringProtocol.rawValue); register the images as a new run with --protocol \(scoringProtocol.rawValue)")
        }
        let promptIDs = try judgedPromptIDs(try selection.selection(), run: run, store: store)
        if let promptIDs {
            let outside = try store.imageRows(run: run).filter { $0.status == .ok && !promptIDs.contains($0.promptID) }.map(\.promptID)
            if !outside.isEmpty {
                Console.note("\(outside.count) images of run \(name) lie outside this selection and are left to another pass (prompts \(PromptSelection.ranges(Array(Set(outside)).sorted())))")
            }
        }
        try await judgeRun(run, store: store, options: options, promptIDs: promptIDs)
    }

    /// The prompt ids a judge pass with `selection` works on, or nil for all of them.
    ///
    /// With `--ids` or `--limit` the selection is applied to the set's prompts exactly as `wise
    /// generate` applies it. `--shard I/N` alone judges what was generated for that shard: the ids
    /// the run's generation passes for shard I/N asked for (a shard store, or a merge of shard
    /// stores); else shard I/N of the ids its passes asked for; a run no pass generated
    /// (registered images) is split over the set's prompts. So a cluster run that gave `--ids` to
    /// `generate` only still has every image of the shard judged.
    public static func judgedPromptIDs(_ selection: PromptSelection, run: StoredRun, store: ResultsStore) throws -> Set<Int>? {
        guard !selection.isAll else { return nil }
        let all = try store.prompts(of: run.set).map(\.id)
        guard let shard = selection.shard, selection.ids == nil, selection.limit == nil else { return Set(selection.apply(to: all)) }
        let passes = try store.generationPasses(run: run)
        guard !passes.isEmpty else { return Set(selection.apply(to: all)) }
        let ofShard = passes.filter { PromptSelection.recordedShard(in: $0.selection) == shard }
        guard !ofShard.isEmpty else { return Set(selection.apply(to: Set(passes.flatMap(\.requestedIDs)).sorted())) }
        let ids = Set(ofShard.flatMap(\.requestedIDs))
        let asked = Array(Set(ofShard.map(\.selection))).sorted().joined(separator: " and ")
        Console.note("judging the \(ids.count) prompt ids generated for shard \(shard.index)/\(shard.count) (\(asked))")
        return ids
    }

    /// Makes a run's images with the generator `model` (or the options) name, then prints its board;
    /// throws `.incomplete` afterwards when any image failed.
    public static func generate(run name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, model: String?,
                                timeout: Double, options: GenerationOptions, store storeOptions: StoreOptions,
                                dryRun: Bool = false) async throws {
        try RunSpec.validateName(name)
        let made = try options.makeGenerator(model: model, run: name, timeout: timeout, dryRun: dryRun)
        if dryRun {
            let estimate = try GenerationEstimate(name: name, set: set, made: made, options: options,
                                                  store: try storeOptions.openIfPresent(), catalogue: try loadCatalogue(set))
            for line in estimate.lines(run: name) { Console.out(line + "\n") }
            return
        }
        let store = try storeOptions.openForWriting()
        let outcome = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made,
                                               options: options, store: store)
        try printBoard(outcome.run, store: store)
        if let incomplete = outcome.incomplete { throw incomplete }
    }
}
