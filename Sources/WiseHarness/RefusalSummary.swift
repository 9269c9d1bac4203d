import Foundation
import WiseCore
import WiseStore

/// A run's refusals, counted apart, and its WiScore both as the official scripts compute it and without the refused prompts.
public struct RefusalSummary: Sendable, Equatable {
    public var run: String
    /// Refused prompts and why.
    public var refused: [Int: String]
    /// The overall as the official scripts compute it: refused images judged as they are, a refused
    /// prompt with no image counted as missing.
    public var official: Double?
    /// The overall over the prompts that were not refused.
    public var withoutRefused: Double?

    /// The summary of one run under a judge (by key prefix, or the latest); nil when nothing was refused.
    public init?(store: ResultsStore, run: StoredRun, judgeKey: String?) throws {
        refused = try store.refusals(of: run)
        guard !refused.isEmpty else { return nil }
        self.run = run.name
        let judge = try store.chooseJudge(of: run, key: judgeKey)
        let prompts = try store.prompts(of: run.set)
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        let outcomes = try store.outcomes(of: run, judge: judge)
        let ids = prompts.map(\.id)
        official = WiScore(scoringProtocol: run.scoringProtocol, categoryOf: { categoryOf[$0] }, ids: ids, outcomes: outcomes).overall
        withoutRefused = WiScore(scoringProtocol: run.scoringProtocol, categoryOf: { categoryOf[$0] },
                                 ids: ids.filter { refused[$0] == nil }, outcomes: outcomes).overall
    }

    /// The kind of a refusal, in two or three words.
    static func kind(_ reason: String) -> String {
        if reason.contains("safety checker") { return "safety checker" }
        if reason.contains("flat colour") { return "flat image" }
        if reason.contains("content policy") { return "content policy" }
        return "other"
    }

    /// One line for the report.
    public var line: String {
        let kinds = Dictionary(grouping: refused.values, by: Self.kind).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
        func score(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "— (a category has no scored item)" }
        return "run \(run): \(refused.count) refused prompts counted apart (\(kinds); ids \(idRanges(Array(refused.keys)))); "
            + "WiScore \(score(official)) as the official scripts compute it (refused images judged as they are), "
            + "\(score(withoutRefused)) without the refused prompts"
    }
}
