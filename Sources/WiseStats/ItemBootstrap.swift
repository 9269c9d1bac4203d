/// A seeded bootstrap over items, for the statistics that have no interval of their own (κ, α, the
/// mean of per-item values): the percentile interval of the statistic over resamples of the items.
///
/// Each resample draws `items` indices with replacement, one after another, from one
/// `Xoshiro256StarStar` seeded with `seed` (the draws of one stratum of `StratifiedBootstrap`), and
/// hands the statistic how many times each item was drawn. Resamples where the statistic is
/// undefined (nil: every drawn item rated the same, say) are left out and counted; the interval is
/// the linear percentile (numpy's default) of the others, the 2.5th and 97.5th at 0.95.
public struct ItemBootstrap: Sendable, Equatable {
    /// A statistic with its bootstrap interval.
    public struct Interval: Sendable, Equatable {
        public var estimate: Double
        /// nil without resamples (`resamples` 0) or when every resample was undefined.
        public var lower: Double?
        public var upper: Double?
        /// Resamples where the statistic was undefined, left out of the percentiles.
        public var undefined: Int
        public var resamples: Int
    }

    public var resamples: Int
    public var seed: UInt64
    public var confidence: Double

    public init(resamples: Int = 10_000, seed: UInt64 = 1, confidence: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }

    /// The interval of `statistic`, which gets how many times each of the `items` items was drawn
    /// (all ones for the estimate). nil when there is no item or the estimate is undefined; the
    /// bounds are nil without resamples or when every resample is undefined.
    public func interval(items: Int, _ statistic: ([Int]) throws(StatsError) -> Double?) throws(StatsError) -> Interval? {
        try intervals(items: items, count: 1) { counts throws(StatsError) in [try statistic(counts)] }[0]
    }

    /// The intervals of `count` statistics of the same items from the same draws: `statistics`
    /// returns all of them for one draw (so they can share work), and each interval is the one
    /// `interval(items:_:)` gives for that statistic alone (same seed, same draws).
    public func intervals(items: Int, count: Int, _ statistics: ([Int]) throws(StatsError) -> [Double?]) throws(StatsError) -> [Interval?] {
        guard (0.5..<1).contains(confidence) else { throw StatsError("bootstrap: confidence \(confidence) is not in [0.5, 1)") }
        guard items > 0 else { return [Interval?](repeating: nil, count: count) }
        func evaluate(_ counts: [Int]) throws(StatsError) -> [Double?] {
            let values = try statistics(counts)
            guard values.count == count else { throw StatsError("bootstrap: \(values.count) statistics where \(count) were announced") }
            return values
        }
        let estimates = try evaluate([Int](repeating: 1, count: items))
        var replicates = [[Double]](repeating: [], count: count)
        if resamples > 0 && estimates.contains(where: { $0 != nil }) {
            var rng = Xoshiro256StarStar(seed: seed)
            var counts = [Int](repeating: 0, count: items)
            for _ in 0..<resamples {
                for i in counts.indices { counts[i] = 0 }
                for _ in 0..<items { counts[rng.next(below: items)] += 1 }
                for (i, value) in try evaluate(counts).enumerated() { if let value { replicates[i].append(value) } }
            }
        }
        let tail = (1 - confidence) / 2
        return estimates.indices.map { i in
            guard let estimate = estimates[i] else { return nil }
            guard !replicates[i].isEmpty else {
                return Interval(estimate: estimate, lower: nil, upper: nil, undefined: max(resamples, 0), resamples: max(resamples, 0))
            }
            let sorted = replicates[i].sorted()
            return sorted.withUnsafeBufferPointer { buffer in
                Interval(estimate: estimate, lower: Quantile.linear(sorted: buffer, tail), upper: Quantile.linear(sorted: buffer, 1 - tail),
                         undefined: resamples - sorted.count, resamples: resamples)
            }
        }
    }

    /// The mean of `values` with its interval.
    public func mean(_ values: [Double]) throws(StatsError) -> Interval? {
        try means([values])[0]
    }

    /// The means of several values of the same items (`columns[c][item]`), from the same draws.
    public func means(_ columns: [[Double]]) throws(StatsError) -> [Interval?] {
        let items = columns.first?.count ?? 0
        guard columns.allSatisfy({ $0.count == items }) else { throw StatsError("bootstrap: the columns have different numbers of items") }
        return try intervals(items: items, count: columns.count) { counts in
            columns.map { values in
                var sum = 0.0, n = 0
                for (value, count) in zip(values, counts) where count > 0 {
                    sum += Double(count) * value
                    n += count
                }
                return sum / Double(n)
            }
        }
    }
}
