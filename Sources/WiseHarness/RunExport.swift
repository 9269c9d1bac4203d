import Foundation
import WiseCore
import WiseStore

/// A run's scored judgments as the official evaluators' files, for `wise export`: one
/// `{domain}_scores_results.jsonl` and `{domain}_full_results.json` per domain.
public struct RunExport {
    /// The store read from.
    public var store: ResultsStore
    /// The run exported.
    public var run: StoredRun
    /// The judge whose judgments are written.
    public var judge: AdapterSpec
    /// The scored items.
    public var items: [ScoreFile.ExportItem]

    /// Chooses the judge (by key prefix, or the latest) and reads the scored items; a run with none is refused.
    public init(store: ResultsStore, run name: String, judgeKey: String?) throws {
        self.store = store
        run = try store.requireRun(name)
        guard let judge = try store.chooseJudge(of: run, key: judgeKey) else {
            throw UsageError("run '\(name)' has no judgments yet; there is nothing to export")
        }
        self.judge = judge
        items = try store.exportItems(of: run, judge: judge)
        guard !items.isEmpty else { throw UsageError("run '\(name)' has no scored judgment from \(judge.summary); there is nothing to export") }
    }

    /// Writes the files into folder `out` (created if needed), refusing to overwrite a file an
    /// earlier export did not write unless `force`; checks every file before writing any.
    public func write(to out: String, force: Bool) throws {
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
        if left > 0 { Console.note("\(left) of \(Catalogue.promptCount) prompts have no scored judgment and are not in the files (see `wise report \(run.name)`)") }
    }
}
