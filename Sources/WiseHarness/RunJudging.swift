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
        let promptIDs = try selection.promptIDs(among: try store.prompts(of: run.set).map(\.id))
        try await judgeRun(run, store: store, options: options, promptIDs: promptIDs)
    }

    /// Makes a run's images with the generator `model` (or the options) name, then prints its board;
    /// throws `.incomplete` afterwards when any image failed.
    public static func generate(run name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, model: String?,
                                timeout: Double, options: GenerationOptions, store storeOptions: StoreOptions) async throws {
        try RunSpec.validateName(name)
        let made = try options.makeGenerator(model: model, run: name, timeout: timeout)
        let store = try storeOptions.openForWriting()
        let outcome = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made,
                                               options: options, store: store)
        try printBoard(outcome.run, store: store)
        if let incomplete = outcome.incomplete { throw incomplete }
    }
}
