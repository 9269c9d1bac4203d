import Foundation
import WiseCore
import WiseStats

/// Two runs on the same prompt ids compared item by item (a prompt rewrite against the original,
/// or any two runs of one set), laid out like the WISE paper's rewrite table.
///
/// Only items both runs scored are paired. Per category and overall: each run's mean over the
/// paired items, the difference (rewrite − original) with a paired bootstrap interval and p-value
/// (the same draws for every category, seeded), Wilcoxon signed-rank on the exact integer
/// differences (legacy 7c + 2r + a = 20 × WiScore, verified the 0/1 score; zeros dropped as
/// scipy's default `wilcox`, exact for n ≤ 50, else normal without continuity correction) and,
/// for verified, McNemar's exact test. The overall's Wilcoxon and McNemar pool every paired
/// item unweighted; its bootstrap difference uses the category weights. Integer scores come
/// from each item's first scored repeat; the bootstrap uses the mean over repeats, as the report does.
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
    }

    public let original: StudyRun
    public let rewrite: StudyRun
    public let rows: [Row]
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

    /// `integers[0]` and `integers[1]`: each run's integer item scores by prompt id.
    public init(original: StudyRun, rewrite: StudyRun, integers: [[Int: Int]], prompts: [Prompt],
                resamples: Int = 10_000, seed: UInt64 = 1) throws {
        let a = original.summary, b = rewrite.summary
        let rewritePair: Set<PromptSet> = [.legacy, .legacyRewrite]
        guard a.set == b.set || Set([a.set, b.set]) == rewritePair else {
            let verified = a.set == .verified || b.set == .verified
            throw UsageError("cannot compare '\(original.name)' (set \(a.set.rawValue)) with '\(rewrite.name)' (set \(b.set.rawValue)): the same prompt id names different prompts\(verified ? "; WISE publishes rewritten prompts (legacy-rewrite) for the legacy set only, none for verified" : "")")
        }
        guard a.scoringProtocol == b.scoringProtocol else {
            throw UsageError("cannot compare '\(original.name)' (protocol \(a.scoringProtocol.rawValue)) with '\(rewrite.name)' (protocol \(b.scoringProtocol.rawValue)): their scores are on different scales")
        }
        var notes: [String] = []
        if a.set == .verified && b.set == .verified {
            notes.append("WISE publishes rewritten prompts for the legacy set only (legacy-rewrite); for verified this compares two runs of the same prompts")
        }
        if original.fingerprint.judgeIdentity != rewrite.fingerprint.judgeIdentity {
            notes.append("the two runs were judged differently (\(original.fingerprint.description) against \(rewrite.fingerprint.description)): a difference mixes prompts and judges")
        }
        let p = a.scoringProtocol
        let ids = Dictionary(grouping: prompts, by: \.category).mapValues { $0.map(\.id).sorted() }
        let paired = Category.allCases.map { c in (c, (ids[c] ?? []).filter { original.value($0) != nil && rewrite.value($0) != nil }) }
        var difference: PairedDifference?
        let present = paired.filter { !$0.1.isEmpty }
        if resamples > 0, !present.isEmpty {
            let board = try BootstrapBoard(strata: present.map { c, items in
                BootstrapBoard.Stratum(name: c.rawValue, weight: p.weights[c]!, scores: [items.map { original.value($0)! }, items.map { rewrite.value($0)! }])
            })
            difference = try StratifiedBootstrap(resamples: resamples, seed: seed).pairedDifference(board, baseline: 0, candidate: 1)
        }
        func row(_ category: Category?, _ items: [Int], _ estimate: PairedDifference.Estimate?) -> Row {
            let mean = { (run: StudyRun) -> Double? in items.isEmpty ? nil : items.reduce(0) { $0 + run.value($1)! } / Double(items.count) }
            let diffs = items.compactMap { id -> Int? in
                guard let x = integers[0][id], let y = integers[1][id] else { return nil }
                return y - x
            }
            var r = Row(category: category, paired: items.count, original: mean(original), rewrite: mean(rewrite),
                        difference: estimate?.difference, bootstrapP: estimate?.pValue,
                        wilcoxon: diffs.isEmpty ? nil : WilcoxonSignedRank.test(diffs), mcnemar: nil)
            if p == .verified {
                let pairs = items.compactMap { id -> (Bool, Bool)? in
                    guard let x = integers[0][id], let y = integers[1][id] else { return nil }
                    return (x == 1, y == 1)
                }
                r.mcnemar = McNemar.test(b: pairs.filter { $0.0 && !$0.1 }.count, c: pairs.filter { !$0.0 && $0.1 }.count)
            }
            return r
        }
        var rows: [Row] = []
        for (c, items) in paired {
            let s = present.firstIndex { $0.0 == c }
            rows.append(row(c, items, s.flatMap { difference?.perStratum[$0] }))
        }
        var overall = row(nil, paired.flatMap(\.1), present.count == Category.allCases.count ? difference?.overall : nil)
        if present.count == Category.allCases.count {
            // The overall of each run: weighted, over the paired items, as the bootstrap's estimate.
            var originalTotal = 0.0, rewriteTotal = 0.0
            for (c, r) in zip(Category.allCases, rows) {
                originalTotal += p.weights[c]! * r.original!
                rewriteTotal += p.weights[c]! * r.rewrite!
            }
            overall.original = originalTotal
            overall.rewrite = rewriteTotal
        } else {
            overall.original = nil
            overall.rewrite = nil
            notes.append("no overall difference: some category has no item both runs scored")
        }
        rows.append(overall)
        self.original = original
        self.rewrite = rewrite
        self.rows = rows
        self.resamples = resamples
        self.seed = seed
        self.notes = notes
    }

    public func renderTerminal(decimals: Int? = nil) -> String {
        let places = decimals ?? (original.summary.scoringProtocol == .legacy ? 2 : 4)
        var out = "Compare \(original.name) (\(original.summary.set.rawValue)) → \(rewrite.name) (\(rewrite.summary.set.rawValue)) · protocol \(original.summary.scoringProtocol.rawValue)\n"
        let verified = original.summary.scoringProtocol == .verified
        // The paper's layout: categories as columns, the two runs and their difference as rows.
        let headers = [""] + rows.map { $0.category?.title ?? "Overall" }
        var table = [
            [original.name] + rows.map { fixed($0.original, places) },
            [rewrite.name] + rows.map { fixed($0.rewrite, places) },
            ["Δ"] + rows.map { signed($0.difference?.estimate ?? zip2($0.original, $0.rewrite), places) },
            ["95% CI"] + rows.map { formatInterval($0.difference?.lower, $0.difference?.upper, places) },
            ["p (bootstrap)"] + rows.map { r in r.bootstrapP.map { $0 == 0 ? "< \(formatP(1 / Double(resamples)))" : formatP($0) } ?? "—" },
            ["p (Wilcoxon)"] + rows.map { formatP($0.wilcoxon?.pValue) },
        ]
        if verified { table.append(["p (McNemar)"] + rows.map { r in r.mcnemar.map { "\(formatP($0.pValue)) (\($0.b)/\($0.c))" } ?? "—" }) }
        table.append(["paired items"] + rows.map { "\($0.paired)" })
        out += textTable(headers, table)
        out += (verified ? "McNemar: exact, discordant items b/c (\(original.name) 1 and \(rewrite.name) 0 / the reverse); " : "") + "Means over the items both runs scored; Δ = \(rewrite.name) − \(original.name); paired bootstrap over prompts within categories (\(resamples) resamples, seed \(seed)); Wilcoxon signed-rank on integer differences (\(verified ? "0/1 scores" : "7c + 2r + a"), zeros dropped); the overall's rank tests pool all paired items\n"
        for note in notes { out += note + "\n" }
        return out
    }

    public func renderJSON() -> String {
        func wilcoxon(_ w: WilcoxonSignedRank.Result?) -> JSONValue {
            guard let w else { return .null }
            return .object([("statistic", .number(w.statistic)), ("rank_sum_positive", .number(w.rankSumPositive)),
                            ("rank_sum_negative", .number(w.rankSumNegative)), ("p", .number(w.pValue)), ("z", .num(w.z)),
                            ("method", .string(w.method.rawValue)), ("zero_method", .string(w.zeroMethod.rawValue)),
                            ("n", .int(w.count)), ("zeros", .int(w.zeros)), ("ties", .bool(w.hasTies))])
        }
        return JSONValue.object([
            ("original", .string(original.name)), ("rewrite", .string(rewrite.name)),
            ("original_set", .string(original.summary.set.rawValue)), ("rewrite_set", .string(rewrite.summary.set.rawValue)),
            ("protocol", .string(original.summary.scoringProtocol.rawValue)),
            ("resamples", .int(resamples)), ("seed", .string(String(seed))),
            ("rows", .array(rows.map { r in
                .object([("category", r.category.map { .string($0.rawValue) } ?? .string("OVERALL")), ("paired", .int(r.paired)),
                         ("original", .num(r.original)), ("rewrite", .num(r.rewrite)),
                         ("difference", r.difference?.json ?? .null), ("bootstrap_p", .num(r.bootstrapP)),
                         ("wilcoxon", wilcoxon(r.wilcoxon)),
                         ("mcnemar", r.mcnemar.map { m in .object([("b", .int(m.b)), ("c", .int(m.c)), ("statistic", .number(m.statistic)), ("p", .number(m.pValue))]) } ?? .null)])
            })),
            ("notes", .array(notes.map(JSONValue.string))),
        ]).rendered() + "\n"
    }
}

func zip2(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b else { return nil }
    return b - a
}
