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

            Example:
              wise import gpt4o-flux --set legacy --protocol legacy \\
                Results/*_results.jsonl Results/*_full_results.json
            """
    )

    @Argument(help: "A name for the run.")
    var name: String

    @Option(help: "The prompt set the scores belong to: legacy, legacy-rewrite or verified.")
    var set: PromptSet

    @Option(name: .customLong("protocol"), help: "The protocol of the files: legacy (consistency, realism, aesthetic_quality) or verified (score).")
    var scoringProtocol: ScoringProtocol

    @Argument(help: ArgumentHelp("Score files (.jsonl) and optional full-results files (.json).", valueName: "file"))
    var files: [String]

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("pass at least one scores file (.jsonl)") }
    }

    func run() async throws {
        try ScoreImport(name: name, set: set, scoringProtocol: scoringProtocol, files: files).run(store: storeOptions)
    }
}
