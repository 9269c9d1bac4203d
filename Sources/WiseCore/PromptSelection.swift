import Foundation

/// Which prompt ids a command works on: `--ids 1-40,401`, then `--limit N`, then `--shard I/N`.
///
/// The shard is taken last, round-robin over the sorted ids that remain, so the N shards of a
/// selection are disjoint, cover it exactly, and each gets a share of every category.
public struct PromptSelection: Sendable, Equatable {
    /// Explicit ids, or nil for all.
    public var ids: Set<Int>?
    /// Keep only the first N ids (after `ids`).
    public var limit: Int?
    public var shard: Shard?

    public init(ids: Set<Int>? = nil, limit: Int? = nil, shard: Shard? = nil) {
        self.ids = ids; self.limit = limit; self.shard = shard
    }

    /// True when every id is selected.
    public var isAll: Bool { ids == nil && limit == nil && shard == nil }

    /// The selected ids among `all`, in ascending order.
    public func apply(to all: [Int]) -> [Int] {
        var chosen = all.sorted()
        if let ids { chosen = chosen.filter(ids.contains) }
        if let limit { chosen = Array(chosen.prefix(limit)) }
        if let shard { chosen = chosen.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element) }
        return chosen
    }

    /// The selection in words, for notes and reports: `ids 1–40, 401; shard 0/4`.
    ///
    /// Stores keep this text for each generation pass, and `recordedShard(in:)` reads the shard
    /// back from it: change the wording of the parts only together with that reader.
    public var description: String {
        var parts: [String] = []
        if let ids { parts.append("ids " + Self.ranges(ids.sorted())) }
        if let limit { parts.append("first \(limit)") }
        if let shard { parts.append("shard \(shard.index)/\(shard.count)") }
        return parts.isEmpty ? "all ids" : parts.joined(separator: "; ")
    }

    /// The shard a recorded selection text names (`ids 1–40; shard 2/4` → 2/4), or nil when it names none.
    public static func recordedShard(in description: String) -> Shard? {
        let parts = description.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let part = parts.last(where: { $0.hasPrefix("shard ") }) else { return nil }
        return try? Shard.parse(String(part.dropFirst("shard ".count)))
    }

    /// Parses `1-40,401,500-510`; ids must lie in 1…1000.
    public static func parseIDs(_ text: String) throws -> Set<Int> {
        var ids = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds.last!), low <= high,
                  low >= 1, high <= Catalogue.promptCount else {
                throw UsageError("--ids \(text): '\(part)' is not an id or range within 1…\(Catalogue.promptCount); write e.g. --ids 1-40,401")
            }
            ids.formUnion(low...high)
        }
        return ids
    }

    /// Compresses sorted ids into ranges: `3, 17, 45–50`.
    public static func ranges(_ sorted: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])–\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}

/// One of N deterministic parts of a selection (`--shard I/N`, I counted from 0 as Slurm and
/// Kubernetes Indexed Jobs count).
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses `I/N` with 0 ≤ I < N.
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let index = parts[0], let count = parts[1], count >= 1, (0..<count).contains(index) else {
            throw UsageError("--shard \(text): expected I/N with 0 ≤ I < N, e.g. --shard 0/4 (shards count from 0, like SLURM_ARRAY_TASK_ID)")
        }
        return Shard(index: index, count: count)
    }
}
