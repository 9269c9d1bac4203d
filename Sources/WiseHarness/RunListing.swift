import Foundation
import WiseCore
import WiseStore

/// The runs of a store as `wise runs` lists, deletes and renames them: one aligned row of counts, judges, judge and
/// score per run, then a line for each run generated for only some prompt ids.
public struct RunListing {
    /// The store listed.
    public var store: ResultsStore

    public init(store: ResultsStore) { self.store = store }

    /// The listing as text.
    public func render() throws -> String {
        let runs = try store.runs()
        if runs.isEmpty { return "no runs in \(store.path)\n" }
        var rows = [["run", "set", "protocol", "images", "missing", "judged", "scored", "unscored", "failed", "judges", "judge", "score"]]
        for run in runs { rows.append(try row(run)) }
        var out = alignedColumns(rows)
        for run in runs {
            let asked = Set(try store.generationPasses(run: run).flatMap(\.requestedIDs))
            if !asked.isEmpty && asked.count < Catalogue.promptCount {
                out += "\(run.name): generated for ids \(idRanges(Array(asked))) only (\(asked.count) of \(Catalogue.promptCount) prompts asked for)\n"
            }
        }
        return out
    }

    /// Deletes a run with its images and judgments, holding the judging lock so no pass is writing to it.
    public func delete(_ name: String) throws {
        let lock = try JudgeLock(storePath: store.path)
        try store.deleteRun(name)
        withExtendedLifetime(lock) {}
        Console.note("deleted run \(name) from \(store.path)")
    }

    /// Renames a run; the new name must be free.
    public func rename(_ old: String, to new: String) throws {
        try store.renameRun(old, to: new)
        Console.note("renamed run \(old) to \(RunSpec.normalizedName(new))")
    }

    /// Deletes one judge's verdicts on a run (the judge named by key prefix, adapter or model),
    /// holding the judging lock; the images and other judges' verdicts stay. Without `confirmed`
    /// nothing is deleted and the refusal says what would go.
    public func deleteVerdicts(run name: String, judge: String, confirmed: Bool) throws {
        let run = try store.requireRun(name)
        guard let spec = try store.chooseJudge(of: run, key: judge) else { throw UsageError("run '\(run.name)' is not judged yet") }
        let use = try store.judges(of: run).first { $0.spec == spec }
        let what = "\(use?.judgments ?? 0) verdicts of judge \(spec.key.prefix(8)) \(spec.judgeDescription) on run \(run.name)"
        guard confirmed else {
            throw UsageError("this would delete \(what) (its images and other judges' verdicts stay); nothing was deleted: pass --yes to delete them")
        }
        let lock = try JudgeLock(storePath: store.path)
        let deleted = try store.deleteJudgments(of: run, judge: spec)
        withExtendedLifetime(lock) {}
        Console.note("deleted \(deleted) verdicts of judge \(spec.key.prefix(8)) \(spec.judgeDescription) on run \(run.name) from \(store.path)")
    }

    /// One run's cells: name, set, protocol, counts, how many judges, the default judge and overall score.
    func row(_ run: StoredRun) throws -> [String] {
        let judges = try store.judges(of: run)
        let summary = try store.summary(of: run, judge: judges.preferred?.spec)
        let s = summary.score
        func total(_ count: (CategoryScore) -> Int) -> Int { s.categories.values.reduce(0) { $0 + count($1) } }
        let scored = total(\.scored), unscored = total(\.unscored), failed = total(\.failed)
        let registered = scored + unscored + failed + total(\.unjudged)
        return [run.name, run.set.rawValue, run.scoringProtocol.rawValue, "\(registered)", "\(total(\.missing))",
                "\(scored + unscored + failed)", "\(scored)", "\(unscored)", "\(failed)", "\(judges.count)",
                summary.judge.map { "\($0.adapter) \($0.parameters["model"] ?? "") [\($0.key.prefix(8))]" } ?? "-",
                s.overall.map { String(format: run.scoringProtocol == .legacy ? "%.2f" : "%.4f", $0) } ?? "-"]
    }
}

/// Rows as text with each column padded to its widest cell (numbers right-aligned).
public func alignedColumns(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return Int(cell) != nil ? pad + cell : cell + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n") + "\n"
}
