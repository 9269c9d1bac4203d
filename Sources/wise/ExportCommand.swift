import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
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

    @Flag(help: "Overwrite files in --out that an earlier `wise export` did not write (the evaluator's own output, say).")
    var force = false

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openReadOnly()
        let run = try store.requireRun(name)
        guard let judgeSpec = try store.chooseJudge(of: run, key: judge) else {
            throw UsageError("run '\(name)' has no judgments yet; there is nothing to export")
        }
        let items = try store.exportItems(of: run, judge: judgeSpec)
        guard !items.isEmpty else { throw UsageError("run '\(name)' has no scored judgment from \(judgeSpec.summary); there is nothing to export") }
        if PathKind(out) == .file {
            throw FileError("--out \(out) is a file; pass a folder to write the JSONL files into", kind: .cannotCreate)
        }
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let files = ScoreFile.exportFiles(items, scoringProtocol: run.scoringProtocol)
        let ledger = ExportLedger(folder: folder)
        for (name, data) in files {
            let path = folder.appendingPathComponent(name).path
            try refuseStoreFiles(path, option: "--out", store: store.path)
            if !force, let existing = FileManager.default.contents(atPath: path), existing != data, !ledger.wrote(name, existing) {
                throw FileError("--out \(out) already holds \(name), which wise export did not write (the official evaluator's output?); pass --force to overwrite it, or another --out", kind: .cannotCreate)
            }
        }
        for (name, data) in files {
            let url = folder.appendingPathComponent(name)
            try writeAtomically(data, to: url)
            Console.out("wrote \(url.path)\n")
        }
        try ledger.record(files)
        let left = Catalogue.promptCount - items.count
        if left > 0 { Console.note("\(left) of \(Catalogue.promptCount) prompts have no scored judgment and are not in the files (see `wise report \(name)`)") }
    }
}

/// The `.wise-export` file in an export folder: the name and SHA-256 of each file wise wrote there,
/// so a later export may replace its own files but never someone else's.
struct ExportLedger {
    let url: URL
    let entries: [String: String]

    init(folder: URL) {
        url = folder.appendingPathComponent(".wise-export")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        entries = Dictionary(text.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[1], parts[0]) : nil
        }, uniquingKeysWith: { $1 })
    }

    /// Whether these bytes under this name are what wise wrote last.
    func wrote(_ name: String, _ data: Data) -> Bool { entries[name] == SHA256.hex(data) }

    /// Notes the files just written.
    func record(_ files: [(name: String, data: Data)]) throws {
        var all = entries
        for (name, data) in files { all[name] = SHA256.hex(data) }
        try writeAtomically(Data(all.keys.sorted().map { "\(all[$0]!) \($0)\n" }.joined().utf8), to: url)
    }
}
