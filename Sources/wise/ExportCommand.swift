import ArgumentParser
import Foundation
import WiseCore
import WiseStore

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

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openExisting()
        let run = try store.requireRun(name)
        guard let judgeSpec = try store.chooseJudge(of: run, key: judge) else {
            throw UsageError("run '\(name)' has no judgments yet; there is nothing to export")
        }
        let items = try store.exportItems(of: run, judge: judgeSpec)
        guard !items.isEmpty else { throw UsageError("run '\(name)' has no scored judgment from \(judgeSpec.summary); there is nothing to export") }
        if PathKind(out) == .file {
            throw FileError("--out \(out) is a file; pass a folder to write the JSONL files into", kind: .cannotCreate)
        }
        let written = try ScoreFile.export(items, scoringProtocol: run.scoringProtocol, to: URL(fileURLWithPath: out, isDirectory: true))
        for url in written { Console.out("wrote \(url.path)\n") }
        let left = Catalogue.promptCount - items.count
        if left > 0 { Console.note("\(left) of \(Catalogue.promptCount) prompts have no scored judgment and are not in the files (see `wise report \(name)`)") }
    }
}
