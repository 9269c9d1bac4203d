import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise import`: read the score files of the official evaluators as a run.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the JSONL score files that the official gpt_eval.py / vllm_eval.py wrote.",
        discussion: """
            Pass the *_scores_results.jsonl files (one per domain) and, optionally, the matching *_full_results.json files, whose raw judge text is kept too. The whole import is checked first: a malformed line or a prompt_id given twice is reported as file:line and nothing is kept. A score of 999 (the evaluator gave up) is recorded as a failed judgment, not as a score.

            A folder that `wise bundle` wrote is imported whole, after `wise verify`'s checks pass: `wise import flux-dev.bundle [--as NAME]`.

            Example:
              wise import gpt4o-flux --set legacy --protocol legacy \\
                Results/*_results.jsonl Results/*_full_results.json
            """
    )

    @Argument(help: "A name for the run, or a bundle folder that `wise bundle` wrote.")
    var name: String

    @Option(help: "The prompt set the scores belong to: legacy, legacy-rewrite or verified.")
    var set: PromptSet?

    @Option(name: .customLong("protocol"), help: "The protocol of the files: legacy (consistency, realism, aesthetic_quality) or verified (score).")
    var scoringProtocol: ScoringProtocol?

    @Option(name: .customLong("as"), help: ArgumentHelp("With a bundle: the run's name in this store (default: the bundle's).", valueName: "name"))
    var runName: String?

    @Argument(help: ArgumentHelp("Score files (.jsonl) and optional full-results files (.json).", valueName: "file"))
    var files: [String] = []

    @OptionGroup var storeOptions: StoreOptions

    /// Whether the one argument is a bundle folder rather than a run name.
    var isBundle: Bool { files.isEmpty && PathKind(name) == .directory }

    func validate() throws {
        if isBundle {
            if set != nil || scoringProtocol != nil { throw ValidationError("a bundle records its set and protocol; drop --set and --protocol") }
            return
        }
        if files.isEmpty { throw ValidationError("pass at least one scores file (.jsonl), or a bundle folder alone") }
        if set == nil || scoringProtocol == nil { throw ValidationError("score files need --set and --protocol (a bundle folder does not)") }
        if runName != nil { throw ValidationError("--as is for bundles; the run's name is the first argument") }
    }

    func run() async throws {
        if isBundle { return try BundleImport(path: name, name: runName).run(store: storeOptions) }
        guard let set, let scoringProtocol else { return }
        try ScoreImport(name: name, set: set, scoringProtocol: scoringProtocol, files: files).run(store: storeOptions)
    }
}
