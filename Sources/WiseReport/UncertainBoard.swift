import Foundation
import WiseCore
import WiseStats

/// A leaderboard with its uncertainty: 95% intervals per run and category, ranks with rank
/// intervals, how often each neighbour pair keeps its order, coverage bounds and fingerprints.
///
/// How unscored items enter the bootstrap: they do not. A run's intervals resample **that run's
/// scored items** within each category (prompts drawn with replacement, as many as it scored);
/// what its unscored items could change is shown by the coverage bounds instead. Ranks, rank
/// intervals and order probabilities come from one paired bootstrap over the items **every**
/// run with an overall scored (the same draws for all runs). With full coverage both are the same
/// resamples, so a run's interval is the same whichever way it is computed. Draws depend only on
/// the seed and the stratum sizes (see WiseStats), so the same seed gives the same numbers.
public struct UncertainBoard: Sendable {
    /// One run's row.
    public struct Row: Sendable {
        public var run: StudyRun
        public var fingerprintMixed: Bool
        /// Overall and per-category intervals over the run's scored items; nil where nothing is scored.
        public var overall: ConfidenceInterval?
        public var categories: [Category: ConfidenceInterval]
        /// Rank among the runs in the paired bootstrap, and its interval; nil for runs left out of it.
        public var rank: Int?
        public var rankInterval: ClosedRange<Int>?
        public var coverage: Coverage
    }

    public struct Order: Sendable {
        public var upper: String
        public var lower: String
        public var probability: Double
    }

    public let board: Leaderboard
    public let rows: [Row]
    public let order: [Order]
    public let resamples: Int
    public let seed: UInt64
    public let confidence: Double
    /// Per category, how many items every ranked run scored (what ranks were resampled over).
    public let commonItems: [Category: Int]
    /// Why ranks or intervals are absent, if they are.
    public let notes: [String]

    /// Builds the board; refuses runs with different fingerprints unless `allowMixed`.
    public init(_ runs: [StudyRun], prompts: [Prompt], resamples: Int = 10_000, seed: UInt64 = 1, confidence: Double = 0.95,
                allowMixed: Bool = false) throws {
        let board = try Leaderboard(runs.map(\.summary))
        let fingerprints = runs.map(\.fingerprint)
        let distinct = Set(fingerprints)
        if distinct.count > 1 && !allowMixed {
            let first = runs[0]
            let other = runs.first { $0.fingerprint != first.fingerprint }!
            throw UsageError("runs '\(first.name)' and '\(other.name)' have different fingerprints (\(first.fingerprint.description) against \(other.fingerprint.description)): their scores were not made the same way; report them separately or pass --allow-mixed to put them on one board, marked")
        }
        let majority = fingerprints.max { a, b in fingerprints.filter { $0 == a }.count < fingerprints.filter { $0 == b }.count }
        let byName = Dictionary(runs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ranked = board.ranked.map { byName[$0.name]! }
        let bootstrap = StratifiedBootstrap(resamples: max(resamples, 1), seed: seed, confidence: confidence)
        let weights = board.scoringProtocol.weights
        let idsByCategory = Dictionary(grouping: prompts, by: \.category).mapValues { $0.map(\.id).sorted() }
        var notes: [String] = []

        // The paired bootstrap over the items every run with an overall scored.
        let rankable = ranked.filter { $0.summary.score.overall != nil }
        var common: [Category: [Int]] = [:]
        for category in Category.allCases {
            common[category] = (idsByCategory[category] ?? []).filter { id in rankable.allSatisfy { $0.value(id) != nil } }
        }
        // Which bootstraps to run: the joint one, and one per run whose scored items are not the common ones.
        typealias Strata = [(Category, Double, [Int])]
        var jobs: [(runs: [StudyRun], strata: Strata)] = []
        var jointJob: Int?
        if resamples > 0, !rankable.isEmpty {
            if Category.allCases.allSatisfy({ !(common[$0] ?? []).isEmpty }) {
                jointJob = jobs.count
                jobs.append((rankable, Category.allCases.map { ($0, weights[$0]!, common[$0]!) }))
            } else {
                notes.append("no ranks with intervals: some category has no item that every run scored")
            }
        }
        var ownJob: [String: (job: Int, strata: Strata)] = [:]
        for run in ranked where resamples > 0 {
            let scoredIDs = Category.allCases.map { c in (c, weights[c]!, (idsByCategory[c] ?? []).filter { run.value($0) != nil }) }
            let inJoint = jointJob != nil && run.summary.score.overall != nil && scoredIDs.allSatisfy { $0.2 == common[$0.0]! }
            let present = scoredIDs.filter { !$0.2.isEmpty }
            guard !inJoint, !present.isEmpty else { continue }
            ownJob[run.name] = (jobs.count, present)
            jobs.append(([run], present))
        }
        let results = try Self.bootstrapAll(bootstrap, jobs)
        let joint = jointJob.map { results[$0] }
        let jointIndex = Dictionary(uniqueKeysWithValues: rankable.enumerated().map { ($1.name, $0) })

        var rows: [Row] = []
        for run in ranked {
            var row = Row(run: run, fingerprintMixed: distinct.count > 1 && run.fingerprint != majority,
                          overall: nil, categories: [:], rank: nil, rankInterval: nil, coverage: Coverage(run, prompts: prompts))
            if let joint, let j = jointIndex[run.name] {
                row.rank = joint.runs[j].rank
                row.rankInterval = joint.runs[j].rankInterval
                row.overall = joint.runs[j].overall
                for (s, c) in Category.allCases.enumerated() { row.categories[c] = joint.runs[j].strata[s] }
            }
            if let (job, present) = ownJob[run.name] {
                // The run's own scored items: intervals for the categories that have any.
                let own = results[job]
                row.overall = present.count == Category.allCases.count ? own.runs[0].overall : nil
                row.categories = [:]
                for (s, stratum) in present.enumerated() { row.categories[stratum.0] = own.runs[0].strata[s] }
            }
            rows.append(row)
        }
        var order: [Order] = []
        if let joint {
            order = joint.adjacentOrder.map { Order(upper: rankable[$0.upper].name, lower: rankable[$0.lower].name, probability: $0.probability) }
        }
        self.board = board
        self.rows = rows
        self.order = order
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
        self.commonItems = common.mapValues(\.count)
        self.notes = notes
    }

    /// Runs several independent bootstraps, on as many cores as there are; results in job order.
    static func bootstrapAll(_ bootstrap: StratifiedBootstrap, _ jobs: [(runs: [StudyRun], strata: [(Category, Double, [Int])])]) throws -> [BoardUncertainty] {
        let results = ResultSlots<Result<BoardUncertainty, Error>>(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            results.set(i, Result { try Self.bootstrap(bootstrap, jobs[i].runs, jobs[i].strata) })
        }
        return try results.values.map { try $0!.get() }
    }

    /// Runs a stratified bootstrap over the given items of each stratum.
    static func bootstrap(_ bootstrap: StratifiedBootstrap, _ runs: [StudyRun], _ strata: [(Category, Double, [Int])]) throws -> BoardUncertainty {
        let board = try BootstrapBoard(strata: strata.map { category, weight, ids in
            BootstrapBoard.Stratum(name: category.rawValue, weight: weight, scores: runs.map { run in ids.map { run.value($0)! } })
        })
        return try bootstrap.leaderboard(board)
    }
}

/// Slots that parallel workers fill, one each.
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }
    var values: [T?] { lock.withLock { slots } }
}

/// A stats failure is a bug in wise or unusable data; it reaches the user as bad data.
extension StatsError: WiseError {
    public var kind: ErrorKind { .badData }
}

extension UncertainBoard {
    /// The board as text: the point leaderboard, then intervals, ranks, order and coverage.
    public func renderTerminal(decimals: Int? = nil, markdown: Bool = false, prices: TokenPrices? = nil) -> String {
        let places = decimals ?? board.defaultDecimals
        var out = markdown ? board.renderMarkdown(places) : board.renderTerminal(places)
        out += board.usageNotes(prices)
        guard resamples > 0 else { return out + coverageLines(places) }
        let title = "\(Int((confidence * 100).rounded()))% intervals: stratified bootstrap over prompts within categories, \(resamples) resamples, seed \(seed)"
        let headers = ["Run", "Overall", "Rank"] + Category.allCases.map(\.title)
        let table = rows.map { row -> [String] in
            [row.run.name + (row.fingerprintMixed ? " *" : ""),
             fixed(row.overall?.estimate, places) + " " + formatInterval(row.overall?.lower, row.overall?.upper, places),
             row.rank.map { r in "\(r) [\(row.rankInterval!.lowerBound)–\(row.rankInterval!.upperBound)]" } ?? "—"]
                + Category.allCases.map { formatInterval(row.categories[$0]?.lower, row.categories[$0]?.upper, places) }
        }
        out += "\n" + title + "\n"
        out += markdown ? markdownTable(headers, table) : textTable(headers, table)
        for pair in order {
            out += "P(\(pair.upper) above \(pair.lower)) = \(String(format: "%.3f", pair.probability))\n"
        }
        if rows.contains(where: \.fingerprintMixed) {
            out += "* different fingerprint from the board's majority (--allow-mixed):\n"
            for row in rows { out += "  \(row.run.name): \(row.run.fingerprint.description)\n" }
        }
        if commonItems.values.reduce(0, +) < rows.map(\.coverage.overall.total).max() ?? 0 {
            out += "ranks and order probabilities are over the \(commonItems.values.reduce(0, +)) items every run scored; intervals over each run's own scored items\n"
        }
        for note in notes { out += note + "\n" }
        return out + coverageLines(places)
    }

    /// One line per run that is not fully scored: score, bounds and the official scripts' verdict.
    func coverageLines(_ places: Int) -> String {
        var out = ""
        for row in rows where row.coverage.overall.scored < row.coverage.overall.total {
            let c = row.coverage
            out += "\(row.run.name): coverage \(c.overall.scored)/\(c.overall.total); overall \(fixed(c.overall.score, places)) over scored items, between \(fixed(c.overall.worst, places)) (unscored at 0) and \(fixed(c.overall.best, places)) (unscored at max); \(c.official.reason)\n"
        }
        return out
    }

    /// The leaderboard's JSON with the studies' fields added at the top level: `uncertainty`
    /// (per run), `order` and `bootstrap`.
    public func renderJSON(prices: TokenPrices? = nil) -> String {
        let base = board.renderJSON(prices)
        let extra = JSONValue.object([
            ("bootstrap", .object([("resamples", .int(resamples)), ("seed", .string(String(seed))), ("confidence", .number(confidence)),
                                   ("common_items", .object(Category.allCases.map { ($0.rawValue, .int(commonItems[$0] ?? 0)) }))])),
            ("uncertainty", .array(rows.map(\.json))),
            ("order", .array(order.map { .object([("upper", .string($0.upper)), ("lower", .string($0.lower)), ("probability", .number($0.probability))]) })),
            ("notes", .array(notes.map(JSONValue.string))),
        ]).rendered(indent: 0)
        // Splice the new fields into the board's top-level object, keeping its shape for older readers.
        let head = base.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
        return head + "," + extra.dropFirst() + "\n"
    }
}

extension ConfidenceInterval {
    var json: JSONValue { .object([("estimate", .number(estimate)), ("lower", .number(lower)), ("upper", .number(upper))]) }
}

extension UncertainBoard.Row {
    var json: JSONValue {
        .object([
            ("name", .string(run.name)),
            ("fingerprint", run.fingerprint.json),
            ("fingerprint_mixed", .bool(fingerprintMixed)),
            ("overall", overall?.json ?? .null),
            ("rank", rank.map(JSONValue.int) ?? .null),
            ("rank_interval", rankInterval.map { .array([.int($0.lowerBound), .int($0.upperBound)]) } ?? .null),
            ("categories", .object(Category.allCases.map { ($0.rawValue, categories[$0]?.json ?? .null) })),
            ("coverage", coverage.json),
        ])
    }
}

func markdownTable(_ headers: [String], _ rows: [[String]]) -> String {
    var out = "| " + headers.joined(separator: " | ") + " |\n"
    out += "|" + headers.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
    for row in rows { out += "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
    return out
}
