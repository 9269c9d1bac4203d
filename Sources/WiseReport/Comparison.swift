import Foundation
import WiseCore
import WiseStats

/// Two runs on the same prompt ids compared item by item (a prompt rewrite against the original,
/// or any two runs of one set), laid out like the WISE paper's rewrite table.
///
/// Only items both runs scored are paired; a category with no paired item gets no test and says
/// "no paired items". Per category and overall: each run's mean over the paired items, the
/// difference (rewrite − original) with a paired bootstrap interval and p-value (the same draws
/// for every category, seeded), Wilcoxon signed-rank on the exact integer differences (legacy
/// 7c + 2r + a = 20 × WiScore, verified the 0/1 score; zeros dropped as scipy's default `wilcox`,
/// exact for n ≤ 50, else normal without continuity correction), how many items changed between
/// the two runs (their integer scores differ) and, for verified, McNemar's exact test on the items
/// whose pass/fail flipped between the runs. The overall's Wilcoxon and McNemar pool every paired
/// item unweighted; its bootstrap difference uses the category weights. Integer scores come from
/// each item's first scored repeat; the WiScore bootstrap uses the mean over repeats, as the report
/// does. For legacy runs the same statistics are given for each aspect (consistency, realism,
/// aesthetic quality: 0–2 levels of the first scored repeat) in `aspects`.
public struct Comparison: Sendable {
    public struct Row: Sendable {
        /// nil for the overall row.
        public var category: Category?
        public var paired: Int
        public var original: Double?
        public var rewrite: Double?
        public var difference: ConfidenceInterval?
        public var bootstrapP: Double?
        public var wilcoxon: WilcoxonSignedRank.Result?
        public var mcnemar: McNemar.Result?
        /// Paired items whose integer score differs between the two runs (verified: pass/fail flipped).
        public var changedBetweenRuns: Int
    }

    /// The rows of one measure (the WiScore or one aspect), categories then the overall.
    public struct Table: Sendable {
        public var measure: String
        public var rows: [Row]
    }

    public let original: StudyRun
    public let rewrite: StudyRun
    /// The WiScore's rows, categories then the overall.
    public let rows: [Row]
    /// Legacy only: one table per aspect.
    public let aspects: [Table]
    public let resamples: Int
    public let seed: UInt64
    public let notes: [String]

    /// The integer score of one item for the rank tests: 7c + 2r + a (legacy) or the score (verified).
    public static func integerScore(_ scores: AspectScores, _ p: ScoringProtocol) -> Int? {
        switch p {
        case .legacy:
            guard let c = scores["consistency"], let r = scores["realism"], let a = scores["aesthetic_quality"] else { return nil }
            return Int((7 * c + 2 * r + a).rounded())
        case .verified:
            return scores["score"].map { Int($0.rounded()) }
        }
    }

    /// `integers[0]` and `integers[1]`: each run's integer item scores by prompt id;
    /// `aspects[0]` and `aspects[1]`: each run's aspect scores of the first scored repeat, by prompt
    /// id (empty: no aspect tables).
    public init(original: StudyRun, rewrite: StudyRun, integers: [[Int: Int]], aspects: [[Int: AspectScores]] = [[:], [:]],
                prompts: [Prompt], resamples: Int = 10_000, seed: UInt64 = 1) throws {
        let a = original.summary, b = rewrite.summary
        let rewritePair: Set<PromptSet> = [.legacy, .legacyRewrite]
        guard a.set == b.set || Set([a.set, b.set]) == rewritePair else {
            let verified = a.set == .verified || b.set == .verified
            throw UsageError("cannot compare '\(original.name)' (set \(a.set.rawValue)) with '\(rewrite.name)' (set \(b.set.rawValue)): the same prompt id names different prompts\(verified ? "; WISE publishes rewritten prompts (legacy-rewrite) for the legacy set only, none for verified" : "")")
        }
        guard a.scoringProtocol == b.scoringProtocol else {
            throw UsageError("cannot compare '\(original.name)' (protocol \(a.scoringProtocol.rawValue)) with '\(rewrite.name)' (protocol \(b.scoringProtocol.rawValue)): their scores are on different scales")
        }
        guard integers.count == 2, aspects.count == 2 else { throw UsageError("compare: give the integer scores and aspects of both runs") }
        var notes: [String] = []
        if a.set == .verified && b.set == .verified {
            notes.append("WISE publishes rewritten prompts for the legacy set only (legacy-rewrite); for verified this compares two runs of the same prompts")
        }
        if original.fingerprint.judgeIdentity != rewrite.fingerprint.judgeIdentity {
            notes.append("the two runs were judged differently (\(original.fingerprint.description) against \(rewrite.fingerprint.description)): a difference mixes prompts and judges")
        }
        let p = a.scoringProtocol
        let values = [original, rewrite].map { run in
            Dictionary(uniqueKeysWithValues: prompts.compactMap { prompt in run.value(prompt.id).map { (prompt.id, $0) } })
        }
        let board = try Self.table(values: values, integers: integers, prompts: prompts, scoringProtocol: p, mcnemar: p == .verified,
                                   resamples: resamples, seed: seed)
        if board.last?.original == nil {
            notes.append("no overall difference: some category has no item both runs scored")
        }
        var tables: [Table] = []
        if p == .legacy && !aspects[0].isEmpty && !aspects[1].isEmpty {
            for aspect in p.aspects {
                let levels = aspects.map { $0.compactMapValues { $0[aspect] } }
                tables.append(Table(measure: aspect, rows: try Self.table(
                    values: levels, integers: levels.map { $0.mapValues { Int($0.rounded()) } }, prompts: prompts, scoringProtocol: p,
                    mcnemar: false, resamples: resamples, seed: seed)))
            }
        }
        self.original = original
        self.rewrite = rewrite
        self.rows = board
        self.aspects = tables
        self.resamples = resamples
        self.seed = seed
        self.notes = notes
    }

    /// The rows of one measure: `values[run][id]` for the means and the bootstrap,
    /// `integers[run][id]` for the rank tests; items are paired where both runs have a value.
    static func table(values: [[Int: Double]], integers: [[Int: Int]], prompts: [Prompt], scoringProtocol p: ScoringProtocol,
                      mcnemar: Bool, resamples: Int, seed: UInt64) throws -> [Row] {
        let ids = Dictionary(grouping: prompts, by: \.category).mapValues { $0.map(\.id).sorted() }
        let paired = Category.allCases.map { c in (c, (ids[c] ?? []).filter { values[0][$0] != nil && values[1][$0] != nil }) }
        var difference: PairedDifference?
        let present = paired.filter { !$0.1.isEmpty }
        if resamples > 0, !present.isEmpty {
            let board = try BootstrapBoard(strata: present.map { c, items in
                BootstrapBoard.Stratum(name: c.rawValue, weight: p.weights[c] ?? 0,
                                       scores: [items.map { values[0][$0] ?? 0 }, items.map { values[1][$0] ?? 0 }])
            })
            difference = try StratifiedBootstrap(resamples: resamples, seed: seed).pairedDifference(board, baseline: 0, candidate: 1)
        }
        func row(_ category: Category?, _ items: [Int], _ estimate: PairedDifference.Estimate?) -> Row {
            let mean = { (run: Int) -> Double? in items.isEmpty ? nil : items.reduce(0) { $0 + (values[run][$1] ?? 0) } / Double(items.count) }
            let pairs = items.compactMap { id -> (Int, Int)? in
                guard let x = integers[0][id], let y = integers[1][id] else { return nil }
                return (x, y)
            }
            let diffs = pairs.map { $0.1 - $0.0 }
            var r = Row(category: category, paired: items.count, original: mean(0), rewrite: mean(1),
                        difference: estimate?.difference, bootstrapP: estimate?.pValue,
                        wilcoxon: diffs.isEmpty ? nil : WilcoxonSignedRank.test(diffs), mcnemar: nil,
                        changedBetweenRuns: diffs.filter { $0 != 0 }.count)
            if mcnemar && !pairs.isEmpty {
                r.mcnemar = McNemar.test(b: pairs.filter { $0.0 == 1 && $0.1 != 1 }.count, c: pairs.filter { $0.0 != 1 && $0.1 == 1 }.count)
            }
            return r
        }
        var rows: [Row] = []
        for (c, items) in paired {
            let s = present.firstIndex { $0.0 == c }
            rows.append(row(c, items, s.flatMap { difference?.perStratum[$0] }))
        }
        let complete = present.count == Category.allCases.count
        var overall = row(nil, paired.flatMap(\.1), complete ? difference?.overall : nil)
        if complete {
            // The overall of each run: weighted, over the paired items, as the bootstrap's estimate.
            var originalTotal = 0.0, rewriteTotal = 0.0
            for (c, r) in zip(Category.allCases, rows) {
                originalTotal += (p.weights[c] ?? 0) * (r.original ?? 0)
                rewriteTotal += (p.weights[c] ?? 0) * (r.rewrite ?? 0)
            }
            overall.original = originalTotal
            overall.rewrite = rewriteTotal
        } else {
            overall.original = nil
            overall.rewrite = nil
        }
        rows.append(overall)
        return rows
    }

    public func renderTerminal(decimals: Int? = nil) -> String {
        let places = decimals ?? (original.summary.scoringProtocol == .legacy ? 2 : 4)
        var out = "Compare \(original.name) (\(original.summary.set.rawValue)) → \(rewrite.name) (\(rewrite.summary.set.rawValue)) · protocol \(original.summary.scoringProtocol.rawValue)\n"
        let verified = original.summary.scoringProtocol == .verified
        out += tableText(rows, places: places, mcnemar: verified)
        out += (verified ? "McNemar: exact, on the items whose pass/fail flipped between the runs, b/c (\(original.name) 1 and \(rewrite.name) 0 / the reverse); " : "") + "Means over the items both runs scored; Δ = \(rewrite.name) − \(original.name); paired bootstrap over prompts within categories (\(resamples) resamples, seed \(seed)); Wilcoxon signed-rank on integer differences (\(verified ? "0/1 scores" : "7c + 2r + a"), zeros dropped); changed between runs: paired items whose \(verified ? "pass/fail flipped" : "integer score differs") between the two runs (not repeats of one run: see `wise variance`); the overall's rank tests pool all paired items\n"
        for table in aspects {
            out += "\nAspect · \(table.measure) (0–2 levels of each item's first scored repeat):\n"
            out += tableText(table.rows, places: places, mcnemar: false)
        }
        for note in notes { out += note + "\n" }
        return out
    }

    /// The paper's layout: categories as columns, the two runs, their difference and its tests as rows.
    func tableText(_ rows: [Row], places: Int, mcnemar: Bool) -> String {
        let headers = [""] + rows.map { $0.category?.title ?? "Overall" }
        // A column without paired items gets no test.
        func test(_ r: Row, _ text: (Row) -> String) -> String { r.paired == 0 ? "no paired items" : text(r) }
        var table = [
            [original.name] + rows.map { fixed($0.original, places) },
            [rewrite.name] + rows.map { fixed($0.rewrite, places) },
            ["Δ"] + rows.map { signed($0.difference?.estimate ?? zip2($0.original, $0.rewrite), places) },
            ["95% CI"] + rows.map { formatInterval($0.difference?.lower, $0.difference?.upper, places) },
            ["p (bootstrap)"] + rows.map { r in test(r) { r in r.bootstrapP.map { $0 == 0 ? "< \(formatP(1 / Double(resamples)))" : formatP($0) } ?? "—" } },
            ["p (Wilcoxon)"] + rows.map { test($0) { formatP($0.wilcoxon?.pValue) } },
        ]
        if mcnemar { table.append(["p (McNemar)"] + rows.map { test($0) { r in r.mcnemar.map { "\(formatP($0.pValue)) (\($0.b)/\($0.c))" } ?? "—" } }) }
        table.append(["changed between runs"] + rows.map { "\($0.changedBetweenRuns)" })
        table.append(["paired items"] + rows.map { "\($0.paired)" })
        return textTable(headers, table)
    }

    public func renderJSON() -> String {
        func wilcoxon(_ w: WilcoxonSignedRank.Result?) -> JSONValue {
            guard let w else { return .null }
            return .object([("statistic", .number(w.statistic)), ("rank_sum_positive", .number(w.rankSumPositive)),
                            ("rank_sum_negative", .number(w.rankSumNegative)), ("p", .number(w.pValue)), ("z", .num(w.z)),
                            ("method", .string(w.method.rawValue)), ("zero_method", .string(w.zeroMethod.rawValue)),
                            ("n", .int(w.count)), ("zeros", .int(w.zeros)), ("ties", .bool(w.hasTies))])
        }
        func rowsJSON(_ rows: [Row]) -> JSONValue {
            .array(rows.map { r in
                .object([("category", r.category.map { .string($0.rawValue) } ?? .string("OVERALL")), ("paired", .int(r.paired)),
                         ("original", .num(r.original)), ("rewrite", .num(r.rewrite)),
                         ("difference", r.difference?.json ?? .null), ("bootstrap_p", .num(r.bootstrapP)),
                         ("wilcoxon", wilcoxon(r.wilcoxon)),
                         ("mcnemar", r.mcnemar.map { m in .object([("b", .int(m.b)), ("c", .int(m.c)), ("statistic", .number(m.statistic)), ("p", .number(m.pValue))]) } ?? .null),
                         ("items_changed_between_runs", .int(r.changedBetweenRuns)),
                         ("no_paired_items", .bool(r.paired == 0))])
            })
        }
        return JSONValue.object([
            ("original", .string(original.name)), ("rewrite", .string(rewrite.name)),
            ("original_set", .string(original.summary.set.rawValue)), ("rewrite_set", .string(rewrite.summary.set.rawValue)),
            ("protocol", .string(original.summary.scoringProtocol.rawValue)),
            ("resamples", .int(resamples)), ("seed", .string(String(seed))),
            ("rows", rowsJSON(rows)),
            ("aspects", .array(aspects.map { .object([("aspect", .string($0.measure)), ("rows", rowsJSON($0.rows))]) })),
            ("notes", .array(notes.map(JSONValue.string))),
        ]).rendered() + "\n"
    }
}

func zip2(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b else { return nil }
    return b - a
}
