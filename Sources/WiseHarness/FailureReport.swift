import Foundation
import WiseCore
import WiseStore

/// What went wrong in a run, grouped by reason for `wise failures`: images no generator made,
/// images missing from a folder, and judgments that failed or came back unscored.
///
/// Each item's own id is taken out of its reason (a file `51.png` reads `{id}.png`), so the
/// 950 missing images of a 50-image folder make one group, not 950.
public struct FailureReport: Sendable, Equatable {
    /// Items that share one reason.
    public struct Group: Sendable, Equatable {
        /// The reason with the items' ids taken out, prefixed by what failed.
        public var reason: String
        /// The prompt ids, in numeric order (an id appears once per failed sample or repeat).
        public var promptIDs: [Int]

        public init(reason: String, promptIDs: [Int]) { self.reason = reason; self.promptIDs = promptIDs }
    }

    /// The run reported on.
    public var run: String
    /// The groups, most common first (ties by reason).
    public var groups: [Group]

    /// Reads a run's missing images, generation failures and (under `judgeKey`, or the latest judge)
    /// failed and unscored judgments.
    public init(store: ResultsStore, run name: String, judgeKey: String?) throws {
        let run = try store.requireRun(name)
        var items: [(reason: String, id: Int)] = []
        for row in try store.imageRows(run: run) where row.status == .missing {
            // A generator records the seed it was given; a folder scan records none.
            let what = row.seed == nil ? "missing image" : "generation failed"
            items.append(("\(what): \(Self.withoutID(row.problem ?? "missing", row.promptID))", row.promptID))
        }
        if let spec = try store.chooseJudge(of: run, key: judgeKey) {
            for item in try store.problems(of: run, judge: spec) {
                items.append(("\(item.status.rawValue): \(Self.withoutID(JudgeFailure.group(item.reason), item.promptID))", item.promptID))
            }
        }
        self.run = run.name
        groups = Dictionary(grouping: items, by: \.reason)
            .map { Group(reason: $0.key, promptIDs: $0.value.map(\.id).sorted()) }
            .sorted { ($0.promptIDs.count, $1.reason) > ($1.promptIDs.count, $0.reason) }
    }

    /// The report as text: one group per two lines, the ids as numeric ranges.
    public func render() -> String {
        if groups.isEmpty { return "run \(run): no failed or unscored items and no missing images\n" }
        return groups.map { "\($0.promptIDs.count) × \($0.reason)\n    prompts \(idRanges($0.promptIDs))\n" }.joined()
    }

    /// `reason` with `id` replaced by `{id}` where it names the item: in a path or file name
    /// (`out/0051.png`), or after "prompt"/"id". Other numbers (`HTTP 500`) are left alone.
    static func withoutID(_ reason: String, _ id: Int) -> String {
        let number = "0*\(id)"
        let patterns = [
            // A path or file name: digits bounded by a separator and followed by an extension or a slash.
            "(?<=^|[/\\\\( _\\-'\"])\(number)(?=\\.[A-Za-z][A-Za-z0-9]{1,4}\\b|/)",
            "(?<=\\bprompt |\\bprompt_id |\\bid |\\bprompt id )\(number)\\b",
        ]
        return patterns.reduce(reason) { text, pattern in
            text.replacingOccurrences(of: pattern, with: "{id}", options: .regularExpression)
        }
    }
}
