import Foundation
import WiseCore
import WiseReport
import WiseStore

/// Two runs under different protocols (a legacy set and the verified set), compared only on the
/// items the crosswalk matches by content, each run keeping its own protocol's scoring.
///
/// The numbers are not differences: a legacy WiScore (graded 0–1) and a verified score (0 or 1)
/// are different measures. What is comparable is how each run does on the same prompts.
public struct CrossProtocolComparison: Sendable {
    /// One category's matched items and each run's mean over those both runs scored.
    public struct Line: Sendable, Equatable {
        public var category: Category
        public var matched: Int
        public var bothScored: Int
        public var first: Double?
        public var second: Double?
    }

    public let first: StudyRun
    public let second: StudyRun
    public let crosswalk: Crosswalk
    public let lines: [Line]

    /// Whether two runs need the crosswalk: their protocols differ, or one is on the verified set and the other not.
    public static func needsCrosswalk(_ a: RunSummary, _ b: RunSummary) -> Bool {
        a.scoringProtocol != b.scoringProtocol || ((a.set == .verified) != (b.set == .verified))
    }

    /// Pairs the runs through the crosswalk of their sets' prompts; categories follow the first run's set.
    public init(first: StudyRun, second: StudyRun, firstPrompts: [Prompt], secondPrompts: [Prompt]) {
        self.first = first; self.second = second
        let firstIsVerified = first.summary.set == .verified
        let crosswalk = firstIsVerified ? Crosswalk(legacy: secondPrompts, verified: firstPrompts)
                                        : Crosswalk(legacy: firstPrompts, verified: secondPrompts)
        self.crosswalk = crosswalk
        let categoryOf = Dictionary(firstPrompts.map { ($0.id, $0.category) }, uniquingKeysWith: { a, _ in a })
        var lines = Dictionary(uniqueKeysWithValues: Category.allCases.map { ($0, Line(category: $0, matched: 0, bothScored: 0, first: 0, second: 0)) })
        for pair in crosswalk.pairs {
            let (a, b) = firstIsVerified ? (pair.verifiedID, pair.legacyID) : (pair.legacyID, pair.verifiedID)
            guard let category = categoryOf[a] else { continue }
            lines[category]?.matched += 1
            guard let x = first.value(a), let y = second.value(b) else { continue }
            lines[category]?.bothScored += 1
            lines[category]?.first? += x
            lines[category]?.second? += y
        }
        self.lines = Category.allCases.compactMap { category in
            guard var line = lines[category] else { return nil }
            if line.bothScored > 0 {
                line.first = (line.first ?? 0) / Double(line.bothScored)
                line.second = (line.second ?? 0) / Double(line.bothScored)
            } else {
                line.first = nil; line.second = nil
            }
            return line
        }
    }

    /// Each run's overall over the matched items, with its own protocol's weights.
    public var overalls: (Double?, Double?) {
        func overall(_ values: [Category: Double], _ p: ScoringProtocol) -> Double? { p.overall(values) }
        let a = Dictionary(uniqueKeysWithValues: lines.compactMap { l in l.first.map { (l.category, $0) } })
        let b = Dictionary(uniqueKeysWithValues: lines.compactMap { l in l.second.map { (l.category, $0) } })
        return (overall(a, first.summary.scoringProtocol), overall(b, second.summary.scoringProtocol))
    }

    /// The comparison as a table for people.
    public func renderTerminal(decimals: Int?) -> String {
        let d = min(max(decimals ?? 4, 0), 15)
        func f(_ v: Double?) -> String { v.map { String(format: "%.\(d)f", $0) } ?? "–" }
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        let a = first.summary, b = second.summary
        let matched = crosswalk.pairs.count
        var out = "cross-protocol comparison: \(a.name) (set \(a.set.rawValue), protocol \(a.scoringProtocol.rawValue)) vs \(b.name) (set \(b.set.rawValue), protocol \(b.scoringProtocol.rawValue))\n"
        out += "only the \(matched) items the crosswalk matches by content (of \(crosswalk.verifiedCount) verified prompts; \(crosswalk.counts.unmatched) have no legacy counterpart); each run keeps its own protocol's scoring, so the columns are not differences\n"
        out += pad("category", 11) + pad("matched", 9) + pad("both scored", 13) + pad(a.name, 22) + b.name + "\n"
        for line in lines {
            out += pad(line.category.rawValue, 11) + pad(String(line.matched), 9) + pad(String(line.bothScored), 13) + pad(f(line.first), 22) + f(line.second) + "\n"
        }
        let (oa, ob) = overalls
        out += pad("overall", 33) + pad(f(oa), 22) + f(ob) + "   (each with its own protocol's weights)\n"
        return out
    }

    /// The comparison as JSON.
    public func renderJSON() -> String {
        let (oa, ob) = overalls
        func number(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
        let categories: [JSONValue] = lines.map { line in
            .object([("category", .string(line.category.rawValue)), ("matched", .int(line.matched)),
                     ("both_scored", .int(line.bothScored)), ("first", number(line.first)), ("second", number(line.second))])
        }
        func run(_ s: StudyRun) -> JSONValue {
            .object([("run", .string(s.name)), ("set", .string(s.summary.set.rawValue)), ("protocol", .string(s.summary.scoringProtocol.rawValue))])
        }
        let value: JSONValue = .object([
            ("kind", .string("cross-protocol")), ("first", run(first)), ("second", run(second)),
            ("matched", .int(crosswalk.pairs.count)), ("categories", .array(categories)),
            ("overall", .object([("first", number(oa)), ("second", number(ob))])),
        ])
        return value.rendered() + "\n"
    }
}

extension Studies {
    /// Compares two runs across protocols through the crosswalk (`wise compare A B --crosswalk`).
    public static func compareAcrossProtocols(store: ResultsStore, first: String, second: String, judgeKey: String?,
                                              format: StudyFormat, decimals: Int?) throws -> String {
        let a = try store.studyRun(first, judgeKey: judgeKey), b = try store.studyRun(second, judgeKey: judgeKey)
        guard CrossProtocolComparison.needsCrosswalk(a.summary, b.summary) else {
            throw UsageError("'\(first)' and '\(second)' share the prompt ids of one protocol; compare them without --crosswalk")
        }
        let comparison = CrossProtocolComparison(first: a, second: b, firstPrompts: try store.prompts(of: a.summary.set),
                                                 secondPrompts: try store.prompts(of: b.summary.set))
        return format == .json ? comparison.renderJSON() : comparison.renderTerminal(decimals: decimals)
    }

    /// Refuses an item-by-item comparison of runs whose ids name different prompts or whose scores
    /// are on different scales, saying how many items the crosswalk would match instead.
    static func refuseNaiveCrossProtocol(store: ResultsStore, _ a: StudyRun, _ b: StudyRun) throws {
        guard CrossProtocolComparison.needsCrosswalk(a.summary, b.summary) else { return }
        let comparison = CrossProtocolComparison(first: a, second: b, firstPrompts: try store.prompts(of: a.summary.set),
                                                 secondPrompts: try store.prompts(of: b.summary.set))
        let rewrite = [a.summary.set, b.summary.set].contains(.legacyRewrite)
            ? " (WISE publishes rewritten prompts, legacy-rewrite, for the legacy set only, none for verified)" : ""
        throw UsageError("cannot compare '\(a.name)' (set \(a.summary.set.rawValue), protocol \(a.summary.scoringProtocol.rawValue)) with '\(b.name)' (set \(b.summary.set.rawValue), protocol \(b.summary.scoringProtocol.rawValue)) item by item: from id 401 on the same id names different prompts, and the two protocols score on different scales\(rewrite); add --crosswalk to compare only the \(comparison.crosswalk.pairs.count) items matched by content, each under its own protocol")
    }
}
