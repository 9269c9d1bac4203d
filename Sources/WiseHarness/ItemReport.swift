import Foundation
import WiseCore
import WiseStore

/// One item of a run as `wise show` prints it: prompt, explanation, every sample with its seed and
/// tries, and every judgment with its raw reply, error, tokens and latency.
public struct ItemReport: Sendable {
    /// The run the item belongs to.
    public var run: StoredRun
    /// Everything the store holds about the item.
    public var item: ItemDetail

    /// Reads prompt `promptID` of run `name`.
    public init(store: ResultsStore, run name: String, promptID: Int) throws {
        run = try store.requireRun(name)
        item = try store.item(of: run, promptID: promptID)
    }

    /// The item as text: a header for the prompt, one line per sample, then one block per judgment.
    public func render() -> String {
        var out = """
            run \(run.name)  set \(run.set.rawValue)  protocol \(run.scoringProtocol.rawValue)
            prompt \(item.prompt.id)  \(item.prompt.category.rawValue) / \(item.prompt.subcategory)
              \(item.prompt.text)
            explanation
              \(item.prompt.explanation)

            """
        out += item.samples.isEmpty ? "samples  none registered\n" : "samples (\(item.samples.count))\n"
        out += alignedColumns(item.samples.map(Self.cells)).split(separator: "\n").map { "  \($0)\n" }.joined()
        out += "\n"
        if item.judgments.isEmpty { out += "no judgments yet\n" }
        for judgment in item.judgments { out += Self.render(judgment, promptID: item.prompt.id) }
        return out
    }

    /// A sample's label, `{id}_s{k}` (the first is `{id}_s0`, though its file is `{id}.png`).
    static func label(promptID: Int, sampleIndex: Int) -> String { "\(promptID)_s\(sampleIndex)" }

    /// One sample's cells: label, status, seed, tries, path, hash and problem.
    static func cells(_ s: ImageRow) -> [String] {
        [label(promptID: s.promptID, sampleIndex: s.sampleIndex), s.status.rawValue,
         "seed \(s.seed.map(String.init) ?? "-")", "tries \(s.attempts)", s.path ?? "-",
         s.sha256.map { "sha256 \($0.prefix(16))…" } ?? "", s.problem.map { "(\($0))" } ?? ""]
    }

    /// One judgment: judge, repeat, status and scores, then cost, then reason and replies.
    static func render(_ j: JudgmentDetail, promptID: Int) -> String {
        let scores = j.scores.map { s in s.values.keys.sorted().map { "\($0) \(formatNumber(s.values[$0]!))" }.joined(separator: ", ") } ?? "-"
        var out = "judgment  \(j.judge.summary)  sample \(label(promptID: promptID, sampleIndex: j.sampleIndex))  repeat \(j.repeatIndex)  \(j.status.rawValue)  scores \(scores)"
        // Ten significant digits: a legacy item score of 0.4 is computed as 0.39999999999999997.
        if let w = j.wiscore { out += "  item score \(String(format: "%.10g", w))" }
        out += "\n  tokens \(j.tokensIn) in, \(j.tokensOut) out"
        if let ms = j.latencyMs { out += String(format: "  latency %.0f ms", ms) }
        out += "  attempts \(j.attempts)"
        if let http = j.httpStatus { out += "  HTTP \(http)" }
        out += "  at \(j.createdAt)\n"
        if let error = j.error { out += "  reason: \(error)\n" }
        if let earlier = j.earlierReplies { out += "  earlier replies: \(earlier)\n" }
        if let reply = j.rawReply { out += "  reply:\n" + reply.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n") + "\n" }
        return out
    }
}
