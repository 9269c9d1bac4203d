import Foundation
import WiseCore
import WiseStats

/// How much a judge's verdicts move when the same images are judged K times (`wise judge
/// --repeats K` at a temperature above 0).
///
/// Per item: the standard deviation of its WiScore over the scored repeats (sample SD, n − 1;
/// none with fewer than two) and its flip rate, the fraction of pairs of scored repeats that give
/// different WiScores. The overall is computed once per repeat (each repeat's scored items, as
/// the official scripts would score that repeat alone). Krippendorff's α treats repeats as
/// raters and items as units: ordinal for each 0–2 legacy aspect, nominal for the binary
/// verified score, interval for the WiScore; unscored repeats are missing values. ICC(2,1) on the
/// per-image WiScore (targets items, raters repeats; an item missing a repeat is left out).
public struct VarianceStudy: Sendable {
    public struct Item: Sendable {
        public var prompt: Prompt
        public var values: [Double]
        public var sd: Double?
        public var flipRate: Double?
    }

    public let run: StudyRun
    public let repeats: Int
    public let items: [Item]
    /// The overall of each repeat alone, nil where a category had nothing scored in it.
    public let overalls: [Double?]
    /// α by what it measures (`consistency`, `realism`, `aesthetic_quality`, `score`, `wiscore`).
    public let alpha: [(String, KrippendorffAlpha.Level, Double?)]
    public let icc: IntraclassCorrelation.Result?
    public let iccProblem: String?
    public let leastStable: Int

    public init(run: StudyRun, judgments: [StudyJudgment], prompts: [Prompt], leastStable: Int = 5) throws {
        let p = run.summary.scoringProtocol
        let repeats = (judgments.map(\.repeatIndex).max() ?? -1) + 1
        guard repeats >= 2 else {
            throw UsageError("run '\(run.name)' has \(repeats) judgment\(repeats == 1 ? "" : "s") per image under this judge; judge it again with `wise judge \(run.name) --repeats K --temperature T` (K ≥ 2, T > 0) to measure variance, or pick a judge that has repeats with --judge KEY (`wise report \(run.name)` lists the run's judges)")
        }
        let byItem = Dictionary(grouping: judgments, by: \.promptID)
        var items: [Item] = []
        for prompt in prompts {
            let values = (byItem[prompt.id] ?? []).filter { $0.status == .ok }.compactMap(\.wiscore)
            var item = Item(prompt: prompt, values: values, sd: nil, flipRate: nil)
            if values.count >= 2 {
                let mean = values.reduce(0, +) / Double(values.count)
                item.sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
                var pairs = 0, differ = 0
                for i in values.indices { for j in values.indices where j > i { pairs += 1; if values[i] != values[j] { differ += 1 } } }
                item.flipRate = Double(differ) / Double(pairs)
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
        var alpha: [(String, KrippendorffAlpha.Level, Double?)] = []
        for aspect in p.aspects {
            let level: KrippendorffAlpha.Level = p == .verified ? .nominal : .ordinal
            alpha.append((aspect, level, try KrippendorffAlpha.alpha(table { $0.scores?[aspect] }, level: level)))
        }
        alpha.append(("wiscore", .interval, try KrippendorffAlpha.alpha(table { $0.wiscore }, level: .interval)))
        let grid = table { $0.wiscore }
        let targets = prompts.indices.map { i in (0..<repeats).map { grid[$0][i] } }
        do {
            icc = try IntraclassCorrelation.icc2(targets)
            iccProblem = nil
        } catch {
            icc = nil
            iccProblem = error.description
        }
        self.run = run
        self.repeats = repeats
        self.items = items
        self.overalls = overalls
        self.alpha = alpha
        self.leastStable = leastStable
    }

    /// Items with a spread, by category, largest SD first (then flip rate, then id).
    public func leastStableItems(_ category: Category) -> [Item] {
        Array(items.filter { $0.prompt.category == category && ($0.sd ?? 0) > 0 }.sorted { a, b in
            a.sd! != b.sd! ? a.sd! > b.sd! : a.flipRate! != b.flipRate! ? a.flipRate! > b.flipRate! : a.prompt.id < b.prompt.id
        }.prefix(leastStable))
    }

    var measured: [Item] { items.filter { $0.sd != nil } }
    var meanSD: Double? { measured.isEmpty ? nil : measured.reduce(0) { $0 + $1.sd! } / Double(measured.count) }
    var meanFlipRate: Double? { measured.isEmpty ? nil : measured.reduce(0) { $0 + $1.flipRate! } / Double(measured.count) }
    var changed: Int { measured.filter { $0.sd! > 0 }.count }
    var overallSpread: (mean: Double, sd: Double?, min: Double, max: Double)? {
        let values = overalls.compactMap { $0 }
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = values.count < 2 ? nil : (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        return (mean, sd, values.min()!, values.max()!)
    }

    public func renderTerminal() -> String {
        var out = "Variance of \(run.name) over \(repeats) repeats · judge \(run.summary.judge?.judgeDescription ?? "none")\n"
        out += "items with ≥ 2 scored repeats: \(measured.count) of \(items.count); changed across repeats: \(changed)\n"
        out += "mean per-item SD of WiScore: \(fixed(meanSD, 4)); mean flip rate: \(fixed(meanFlipRate, 4))\n"
        out += "overall per repeat: " + overalls.map { fixed($0, 4) }.joined(separator: ", ")
        if let s = overallSpread { out += "  (mean \(fixed(s.mean, 4)), SD \(fixed(s.sd, 4)), range \(fixed(s.min, 4))–\(fixed(s.max, 4)))" }
        out += "\n"
        out += textTable(["Agreement across repeats", "Level", "Value"],
                         alpha.map { ["Krippendorff α · \($0.0)", $0.1.rawValue, fixed($0.2, 4)] }
                            + [["ICC(2,1) · wiscore", "absolute", icc.map { "\(fixed($0.icc, 4)) [\(fixed($0.lower, 4)), \(fixed($0.upper, 4))]" } ?? "— (\(iccProblem ?? "undefined"))"]])
        out += "least stable items (largest SD of WiScore):\n"
        for category in Category.allCases {
            let worst = leastStableItems(category)
            guard !worst.isEmpty else { continue }
            out += "  \(category.title):\n"
            for item in worst {
                out += "    \(item.prompt.id)  SD \(fixed(item.sd, 3))  flips \(fixed(item.flipRate, 2))  [\(item.values.map { fixed($0, 2) }.joined(separator: " "))]  \(item.prompt.text.prefix(70))\n"
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
            ("items_measured", .int(measured.count)), ("items_changed", .int(changed)),
            ("mean_sd", .num(meanSD)), ("mean_flip_rate", .num(meanFlipRate)),
            ("overall_per_repeat", .array(overalls.map(JSONValue.num))),
            ("overall_spread", spread.map { .object([("mean", .number($0.mean)), ("sd", .num($0.sd)), ("min", .number($0.min)), ("max", .number($0.max))]) } ?? .null),
            ("alpha", .array(alpha.map { .object([("measure", .string($0.0)), ("level", .string($0.1.rawValue)), ("alpha", .num($0.2))]) })),
            ("icc", icc.map { r in .object([("icc", .num(r.icc)), ("lower", .num(r.lower)), ("upper", .num(r.upper)), ("f", .num(r.f)),
                                            ("df1", .number(r.df1)), ("df2", .number(r.df2)), ("p", .num(r.pValue)),
                                            ("targets", .int(r.targets)), ("raters", .int(r.raters))]) } ?? .null),
            ("icc_problem", .str(iccProblem)),
            ("items", .array(items.map { item in
                .object([("prompt_id", .int(item.prompt.id)), ("category", .string(item.prompt.category.rawValue)),
                         ("values", .array(item.values.map(JSONValue.number))), ("sd", .num(item.sd)), ("flip_rate", .num(item.flipRate))])
            })),
            ("least_stable", .object(Category.allCases.map { c in (c.rawValue, .array(leastStableItems(c).map { .int($0.prompt.id) })) })),
        ]).rendered() + "\n"
    }
}
