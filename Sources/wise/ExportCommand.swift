import ArgumentParser
import WiseHarness

/// `wise export`: write a run's judgments in the official evaluators' file format.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's scores as the official evaluators' JSONL files (one per domain).",
        discussion: """
            Writes {domain}_scores_results.jsonl and {domain}_full_results.json for each domain, in the format gpt_eval.py / vllm_eval.py write, which the official scoring scripts read and score as wise does. Only scored items are written; unscored, failed and missing ones are counted on stderr.

            Example:
              wise export gpt4o-flux --format wise-jsonl --out exported/
            """
    )

    /// The export formats.
    enum Format: String, ExpressibleByArgument, CaseIterable { case wiseJSONL = "wise-jsonl" }

    @Argument(help: "The run to export.")
    var name: String

    @Option(help: "The file format.")
    var format: Format = .wiseJSONL

    @Option(help: ArgumentHelp("The folder to write into (created if needed).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix, adapter or model name (default: the one that judged the most images).", valueName: "key"))
    var judge: String?

    @Flag(help: "Overwrite files in --out that an earlier `wise export` did not write (the evaluator's own output, say).")
    var force = false

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openReadOnly()
        try RunExport(store: store, run: name, judgeKey: judge).write(to: out, force: force)
    }
}
