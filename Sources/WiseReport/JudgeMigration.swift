import Foundation
import WiseCore
import WiseStats

/// What moving a board from judge A to judge B changes, for a board maintainer: each run's rank
/// and overall under both with their intervals, per-category shifts with intervals, agreement
/// (κ, α) and the items whose verdict flipped; as text, JSON and one HTML page.
///
/// Ranks and score intervals are those of `UncertainBoard` under each judge (the same seed, so
/// the same draws); shifts, agreement and flips are `JudgeShift`s per run and over all runs
/// pooled (units are run × prompt).
public struct JudgeMigration: Sendable {
    /// One run under both judges.
    public struct Run: Sendable {
        public var name: String
        public var before: UncertainBoard.Row?
        public var after: UncertainBoard.Row?
        public var shift: JudgeShift
    }

    public let from: AdapterSpec
    public let to: AdapterSpec
    public let runs: [Run]
    public let pooled: JudgeShift
    public let before: UncertainBoard
    public let after: UncertainBoard
    /// Flipped items listed in the text and HTML (the JSON lists all).
    public let listedFlips: Int

    /// `underA[i]` and `underB[i]` are run i read under each judge; `judgments[i]` their judgments.
    public init(from: AdapterSpec, to: AdapterSpec, underA: [StudyRun], underB: [StudyRun],
                judgments: [(a: [StudyJudgment], b: [StudyJudgment])], prompts: [Prompt],
                resamples: Int = 10_000, seed: UInt64 = 1, listedFlips: Int = 20) throws {
        guard let p = underA.first?.summary.scoringProtocol, underA.count == underB.count, underA.count == judgments.count else {
            throw UsageError("name at least one run judged by both judges")
        }
        self.from = from; self.to = to; self.listedFlips = listedFlips
        before = try UncertainBoard(underA, prompts: prompts, resamples: resamples, seed: seed)
        after = try UncertainBoard(underB, prompts: prompts, resamples: resamples, seed: seed)
        var runs: [Run] = [], all: [JudgeShift.Unit] = []
        for (run, pair) in zip(underA, judgments) {
            let units = JudgeShift.units(run: run.name, prompts: prompts, reference: pair.a, candidate: pair.b)
            all += units
            runs.append(Run(name: run.name, before: before.rows.first { $0.run.name == run.name },
                            after: after.rows.first { $0.run.name == run.name },
                            shift: try JudgeShift(scoringProtocol: p, units: units, resamples: resamples, seed: seed)))
        }
        self.runs = runs
        pooled = try JudgeShift(scoringProtocol: p, units: all, resamples: resamples, seed: seed)
    }

    var places: Int { before.board.defaultDecimals }

    func rank(_ row: UncertainBoard.Row?) -> String {
        guard let row, let rank = row.rank, let interval = row.rankInterval else { return "—" }
        return "\(rank) [\(interval.lowerBound)–\(interval.upperBound)]"
    }

    func overall(_ row: UncertainBoard.Row?) -> String {
        guard let row else { return "—" }
        return fixed(row.overall?.estimate ?? row.run.summary.score.overall, places) + " " + formatInterval(row.overall?.lower, row.overall?.upper, places)
    }

    /// The rows of the runs table: run, rank and overall before and after, the overall shift.
    var table: (headers: [String], rows: [[String]]) {
        (["Run", "Rank A", "Rank B", "Overall A", "Overall B", "Shift", "95% CI", "Flipped"],
         runs.map { r in
             let shift = r.shift.overallShift
             return [r.name, rank(r.before), rank(r.after), overall(r.before), overall(r.after),
                     signed(shift?.estimate, places), formatInterval(shift?.lower, shift?.upper, places), "\(r.shift.flips.count)/\(r.shift.paired)"]
         })
    }

    /// Which runs change rank, as one line.
    var rankChanges: String {
        let moved = runs.compactMap { r -> String? in
            guard let a = r.before?.rank, let b = r.after?.rank, a != b else { return nil }
            return "\(r.name) \(a) → \(b)"
        }
        return moved.isEmpty ? "no run changes rank" : "rank changes: " + moved.joined(separator: ", ")
    }

    public func renderTerminal() -> String {
        var out = "judge A (before): \(from.judgeDescription)\njudge B (after):  \(to.judgeDescription)\n"
        out += "95% intervals: stratified bootstrap over prompts within categories, \(before.resamples) resamples, seed \(before.seed); shift = B − A\n\n"
        out += textTable(table.headers, table.rows) + rankChanges + "\n"
        for r in runs {
            out += "\n\(r.name): " + r.shift.renderTerminal(places: places)
        }
        if runs.count > 1 { out += "\nall runs pooled: " + pooled.renderTerminal(places: places) }
        out += "\n" + flipLines()
        return out
    }

    func flipLines() -> String {
        let flips = pooled.flips.sorted { abs($0.candidateScore - $0.referenceScore) > abs($1.candidateScore - $1.referenceScore) }
        guard !flips.isEmpty else { return "no verdict flipped\n" }
        var out = "\(flips.count) verdicts flipped" + (flips.count > listedFlips ? " (the \(listedFlips) largest; --format json lists all)" : "") + ":\n"
        out += textTable(["Run", "Prompt", "Category", "A", "B", "Score A", "Score B"], flips.prefix(listedFlips).map { f in
            [f.run, "\(f.promptID)", f.category.title, aspectText(f.reference), aspectText(f.candidate),
             fixed(f.referenceScore, places), fixed(f.candidateScore, places)]
        })
        return out
    }

    func aspectText(_ scores: AspectScores) -> String {
        pooled.scoringProtocol.aspects.map { scores[$0].map { String(Int($0)) } ?? "?" }.joined(separator: "/")
    }

    public func renderJSON() -> String {
        JSONValue.object([
            ("from", .string(from.canonicalJSON)), ("from_key", .string(from.key)),
            ("to", .string(to.canonicalJSON)), ("to_key", .string(to.key)),
            ("resamples", .int(before.resamples)), ("seed", .int(Int(truncatingIfNeeded: before.seed))),
            ("runs", .array(runs.map { r in
                .object([("name", .string(r.name)), ("before", r.before?.json ?? .null), ("after", r.after?.json ?? .null),
                         ("shift", r.shift.json)])
            })),
            ("pooled", pooled.json),
        ]).rendered(indent: 0) + "\n"
    }

    /// One self-contained page in the HTML report's style.
    public func renderHTML() -> String {
        let title = "Judge migration · WISE \(before.board.set.rawValue) · protocol \(before.board.scoringProtocol.rawValue)"
        var html = HTMLReport.head(title: title) + "<h1>\(escapeHTML(title))</h1>\n"
        html += "<p class=\"judge\">A (before): \(escapeHTML(from.judgeDescription))</p>\n<p class=\"judge\">B (after): \(escapeHTML(to.judgeDescription))</p>\n"
        html += "<p class=\"note\">95% intervals: stratified bootstrap over prompts within categories, \(before.resamples) resamples, seed \(before.seed); shift = B − A.</p>\n"
        html += htmlTable(table.headers, table.rows) + "<p class=\"order\">\(escapeHTML(rankChanges))</p>\n"
        for (name, shift) in runs.map({ ($0.name, $0.shift) }) + (runs.count > 1 ? [("all runs pooled", pooled)] : []) {
            html += "<h2>\(escapeHTML(name))</h2>\n<p class=\"note\">\(escapeHTML(shift.summaryLine(places: places)))</p>\n"
            html += htmlTable(["Aspect", "κ", "95% CI", "α", "95% CI"], shift.aspects.map { a in
                [a.name, fixed(a.kappa?.estimate, 3), formatInterval(a.kappa?.lower, a.kappa?.upper, 3),
                 fixed(a.alpha?.estimate, 3), formatInterval(a.alpha?.lower, a.alpha?.upper, 3)]
            })
            html += htmlTable(["Category", "Shift", "95% CI"], Category.allCases.map { c in
                [c.title, signed(shift.categoryShifts[c]?.estimate, places), formatInterval(shift.categoryShifts[c]?.lower, shift.categoryShifts[c]?.upper, places)]
            })
        }
        html += "<h2>Flipped verdicts</h2>\n<pre>\(escapeHTML(flipLines()))</pre>\n"
        return html + "</body></html>\n"
    }

    func htmlTable(_ headers: [String], _ rows: [[String]]) -> String {
        "<div class=\"scroll\"><table><tr>" + headers.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr>\n"
            + rows.map { "<tr>" + $0.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>\n" }.joined() + "</table></div>\n"
    }
}
