import Foundation
import WiseCore
import WiseStats

/// How much a judge's verdicts move when the same images are judged K times (`wise judge
/// --repeats K` at a temperature above 0).
///
/// Change is decided on the exact grid, never on floating-point WiScores: each scored repeat of an
/// item is its integer score (legacy 7c + 2r + a = 20 × WiScore on integer aspects 0–2, verified
/// the 0/1 score), so five repeats that all say (1, 1, 1) are no change even though the SD of
/// their floating-point WiScores is 6e-17. Per item: the sample SD of its WiScore (n − 1, from the
/// integer scores, so equal scores give exactly 0; none with fewer than two scored repeats) and
/// its repeat flip rate, the share of pairs of its scored repeats whose scores differ; an item
/// changed across repeats when any two differ. The overall is computed once per repeat (each
/// repeat's scored items, as the official scripts would score that repeat alone). Krippendorff's
/// α treats repeats as raters and items as units: ordinal for each 0–2 legacy aspect, nominal for
/// the binary verified score, interval for the WiScore; unscored repeats are missing values.
/// ICC(2,1) on the per-image WiScore (targets items, raters repeats; an item missing a repeat is
/// left out), with its F-based interval. α, the mean SD, the mean repeat flip rate and the share
/// of changed items carry seeded bootstrap intervals over items (`bootstrap`).
public struct VarianceStudy: Sendable {
    public struct Item: Sendable {
        public var prompt: Prompt
        public var values: [Double]
        /// The exact score of each scored repeat: 7c + 2r + a (legacy) or the 0/1 score (verified).
        public var exact: [Int]
        public var sd: Double?
        /// The share of pairs of this image's scored repeats whose scores differ.
        public var repeatFlipRate: Double?
        /// Whether any two scored repeats differ (on the exact grid).
        public var changed: Bool { Set(exact).count > 1 }
    }

    /// An agreement measure across repeats.
    public struct Alpha: Sendable {
        public var measure: String
        public var level: KrippendorffAlpha.Level
        public var alpha: Double?
        public var interval: ItemBootstrap.Interval?
    }

    public let run: StudyRun
    public let repeats: Int
    public let items: [Item]
    /// The overall of each repeat alone, nil where a category had nothing scored in it.
    public let overalls: [Double?]
    /// α by what it measures (`consistency`, `realism`, `aesthetic_quality`, `score`, `wiscore`).
    public let alpha: [Alpha]
    public let icc: IntraclassCorrelation.Result?
    public let iccProblem: String?
    public let leastStable: Int
    public let bootstrap: ItemBootstrap
    public let meanSD: ItemBootstrap.Interval?
    public let meanRepeatFlipRate: ItemBootstrap.Interval?
    public let changedShare: ItemBootstrap.Interval?

    public init(run: StudyRun, judgments: [StudyJudgment], prompts: [Prompt], leastStable: Int = 5,
                bootstrap: ItemBootstrap = ItemBootstrap()) throws {
        let p = run.summary.scoringProtocol
        let repeats = (judgments.map(\.repeatIndex).max() ?? -1) + 1
        guard repeats >= 2 else {
            throw UsageError("run '\(run.name)' has \(repeats) judgment\(repeats == 1 ? "" : "s") per image under this judge; judge it again with `wise judge \(run.name) --repeats K --temperature T` (K ≥ 2, T > 0) to measure variance, or pick a judge that has repeats with --judge KEY (`wise report \(run.name)` lists the run's judges)")
        }
        // The integer grid: WiScore = exact / scale.
        let scale = p == .legacy ? 20.0 : 1.0
        let byItem = Dictionary(grouping: judgments, by: \.promptID)
        var items: [Item] = []
        for prompt in prompts {
            let scored = (byItem[prompt.id] ?? []).filter { $0.status == .ok }.sorted { $0.repeatIndex < $1.repeatIndex }
            let exact = scored.compactMap { $0.scores.flatMap { Comparison.integerScore($0, p) } }
            var item = Item(prompt: prompt, values: scored.compactMap(\.wiscore), exact: exact, sd: nil, repeatFlipRate: nil)
            if exact.count >= 2 {
                let n = Double(exact.count)
                let mean = Double(exact.reduce(0, +)) / n
                item.sd = (exact.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)).squareRoot() / scale
                var pairs = 0, differ = 0
                for i in exact.indices { for j in exact.indices where j > i { pairs += 1; if exact[i] != exact[j] { differ += 1 } } }
                item.repeatFlipRate = Double(differ) / Double(pairs)
            }
            items.append(item)
        }
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        var overalls: [Double?] = []
        for r in 0..<repeats {
            var outcomes: [Int: ItemOutcome] = [:]
            for j in judgments where j.repeatIndex == r {
                outcomes[j.promptID] = j.status == .ok ? .scored(j.wiscore ?? 0) : j.status == .unscored ? .unscored : .failed
            }
            overalls.append(WiScore(scoringProtocol: p, categoryOf: { categoryOf[$0] }, ids: prompts.map(\.id), outcomes: outcomes).overall)
        }
        // ratings[repeat][item]
        func table(_ value: (StudyJudgment) -> Double?) -> [[Double?]] {
            var grid = [[Double?]](repeating: [Double?](repeating: nil, count: prompts.count), count: repeats)
            let index = Dictionary(uniqueKeysWithValues: prompts.enumerated().map { ($1.id, $0) })
            for j in judgments where j.status == .ok {
                if let i = index[j.promptID] { grid[j.repeatIndex][i] = value(j) }
            }
            return grid
        }
        // α of every measure from the same draws of items.
        var tables: [(name: String, level: KrippendorffAlpha.Level, grid: [[Double?]])] = p.aspects.map { aspect in
            (aspect, p == .verified ? .nominal : .ordinal, table { $0.scores?[aspect] })
        }
        let grid = table { $0.wiscore }
        tables.append(("wiscore", .interval, grid))
        let intervals = try KrippendorffAlpha.intervals(tables.map(\.grid), levels: tables.map(\.level), bootstrap: bootstrap)
        let alpha = zip(tables, intervals).map { t, interval in Alpha(measure: t.name, level: t.level, alpha: interval?.estimate, interval: interval) }
        let targets = prompts.indices.map { i in (0..<repeats).map { grid[$0][i] } }
        do {
            icc = try IntraclassCorrelation.icc2(targets)
            iccProblem = nil
        } catch {
            icc = nil
            iccProblem = error.description
        }
        let measured = items.filter { $0.sd != nil }
        let means = try bootstrap.means([measured.map { $0.sd ?? 0 }, measured.map { $0.repeatFlipRate ?? 0 }, measured.map { $0.changed ? 1 : 0 }])
        meanSD = means[0]
        meanRepeatFlipRate = means[1]
        changedShare = means[2]
        self.run = run
        self.repeats = repeats
        self.items = items
        self.overalls = overalls
        self.alpha = alpha
        self.leastStable = leastStable
        self.bootstrap = bootstrap
    }

    /// Items that changed across repeats, by category, largest SD first (then repeat flip rate, then id).
    public func leastStableItems(_ category: Category) -> [Item] {
        Array(items.filter { $0.prompt.category == category && $0.changed }.sorted { a, b in
            let sa = a.sd ?? 0, sb = b.sd ?? 0, fa = a.repeatFlipRate ?? 0, fb = b.repeatFlipRate ?? 0
            return sa != sb ? sa > sb : fa != fb ? fa > fb : a.prompt.id < b.prompt.id
        }.prefix(max(0, leastStable)))
    }

    var measured: [Item] { items.filter { $0.sd != nil } }
    /// Items whose exact score differs between some two scored repeats.
    public var changed: Int { measured.filter(\.changed).count }
    var overallSpread: (mean: Double, sd: Double?, min: Double, max: Double)? {
        let values = overalls.compactMap { $0 }
        guard let low = values.min(), let high = values.max() else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = values.count < 2 ? nil : (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        return (mean, sd, low, high)
    }

    public func renderTerminal() -> String {
        var out = "Variance of \(run.name) over \(repeats) repeats · judge \(run.summary.judge?.judgeDescription ?? "none")\n"
        out += "items with ≥ 2 scored repeats: \(measured.count) of \(items.count)\n"
        out += "items whose score changed across repeats (exact 7c + 2r + a or 0/1, not floating point): \(changed)"
            + " · share \(withInterval(changedShare, 4))\n"
        out += "mean per-item SD of WiScore: \(withInterval(meanSD, 4))\n"
        out += "repeat flip rate (share of pairs of repeats of the same image whose score differs), mean over items: \(withInterval(meanRepeatFlipRate, 4))\n"
        out += "overall per repeat: " + overalls.map { fixed($0, 4) }.joined(separator: ", ")
        if let s = overallSpread { out += "  (mean \(fixed(s.mean, 4)), SD \(fixed(s.sd, 4)), range \(fixed(s.min, 4))–\(fixed(s.max, 4)))" }
        out += "\n"
        out += textTable(["Agreement across repeats", "Level", "Value", "95% CI"],
                         alpha.map { ["Krippendorff α · \($0.measure)", $0.level.rawValue, fixed($0.alpha, 4), formatInterval($0.interval?.lower, $0.interval?.upper, 4)] }
                            + [["ICC(2,1) · wiscore", "absolute"] + (icc.map { [fixed($0.icc, 4), formatInterval($0.lower, $0.upper, 4)] } ?? ["— (\(iccProblem ?? "undefined"))", "—"])])
        out += "95% CI: α, mean SD, repeat flip rate and share changed by bootstrap over items (\(bootstrap.resamples) resamples, seed \(bootstrap.seed)); ICC by its F distribution\n"
        out += "least stable items (changed across repeats, largest SD of WiScore first):\n"
        for category in Category.allCases {
            let worst = leastStableItems(category)
            guard !worst.isEmpty else { continue }
            out += "  \(category.title):\n"
            for item in worst {
                out += "    \(item.prompt.id)  SD \(fixed(item.sd, 3))  repeat flips \(fixed(item.repeatFlipRate, 2))  [\(item.values.map { fixed($0, 2) }.joined(separator: " "))]  \(item.prompt.text.prefix(70))\n"
            }
        }
        return out
    }

    public func renderJSON() -> String {
        let spread = overallSpread
        return JSONValue.object([
            ("run", .string(run.name)),
            ("judge", run.summary.judge.map { .string($0.canonicalJSON) } ?? .null),
            ("protocol", .string(run.summary.scoringProtocol.rawValue)),
            ("repeats", .int(repeats)),
            ("bootstrap", .object([("resamples", .int(bootstrap.resamples)), ("seed", .string(String(bootstrap.seed))), ("confidence", .number(bootstrap.confidence))])),
            ("items_measured", .int(measured.count)), ("items_changed_across_repeats", .int(changed)),
            ("share_changed_across_repeats", intervalJSON(changedShare)),
            ("mean_sd", intervalJSON(meanSD)), ("mean_repeat_flip_rate", intervalJSON(meanRepeatFlipRate)),
            ("overall_per_repeat", .array(overalls.map(JSONValue.num))),
            ("overall_spread", spread.map { .object([("mean", .number($0.mean)), ("sd", .num($0.sd)), ("min", .number($0.min)), ("max", .number($0.max))]) } ?? .null),
            ("alpha", .array(alpha.map { .object([("measure", .string($0.measure)), ("level", .string($0.level.rawValue)), ("alpha", .num($0.alpha)),
                                                  ("interval", intervalJSON($0.interval))]) })),
            ("icc", icc.map { r in .object([("icc", .num(r.icc)), ("lower", .num(r.lower)), ("upper", .num(r.upper)), ("f", .num(r.f)),
                                            ("df1", .number(r.df1)), ("df2", .number(r.df2)), ("p", .num(r.pValue)),
                                            ("targets", .int(r.targets)), ("raters", .int(r.raters))]) } ?? .null),
            ("icc_problem", .str(iccProblem)),
            ("items", .array(items.map { item in
                .object([("prompt_id", .int(item.prompt.id)), ("category", .string(item.prompt.category.rawValue)),
                         ("values", .array(item.values.map(JSONValue.number))), ("exact", .array(item.exact.map(JSONValue.int))),
                         ("changed_across_repeats", .bool(item.changed)),
                         ("sd", .num(item.sd)), ("repeat_flip_rate", .num(item.repeatFlipRate))])
            })),
            ("least_stable", .object(Category.allCases.map { c in (c.rawValue, .array(leastStableItems(c).map { .int($0.prompt.id) })) })),
        ]).rendered() + "\n"
    }
}
