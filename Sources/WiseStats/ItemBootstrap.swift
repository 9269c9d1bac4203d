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
        guard items > 0, let estimate = try statistic([Int](repeating: 1, count: items)) else { return nil }
        guard (0.5..<1).contains(confidence) else { throw StatsError("bootstrap: confidence \(confidence) is not in [0.5, 1)") }
        guard resamples > 0 else { return Interval(estimate: estimate, lower: nil, upper: nil, undefined: 0, resamples: 0) }
        var rng = Xoshiro256StarStar(seed: seed)
        var counts = [Int](repeating: 0, count: items)
        var replicates: [Double] = []
        replicates.reserveCapacity(resamples)
        for _ in 0..<resamples {
            for i in counts.indices { counts[i] = 0 }
            for _ in 0..<items { counts[rng.next(below: items)] += 1 }
            if let value = try statistic(counts) { replicates.append(value) }
        }
        guard !replicates.isEmpty else { return Interval(estimate: estimate, lower: nil, upper: nil, undefined: resamples, resamples: resamples) }
        let tail = (1 - confidence) / 2
        replicates.sort()
        return replicates.withUnsafeBufferPointer { sorted in
            Interval(estimate: estimate, lower: Quantile.linear(sorted: sorted, tail), upper: Quantile.linear(sorted: sorted, 1 - tail),
                     undefined: resamples - replicates.count, resamples: resamples)
        }
    }

    /// The mean of `values` with its interval.
    public func mean(_ values: [Double]) throws(StatsError) -> Interval? {
        try interval(items: values.count) { counts in
            var sum = 0.0, n = 0
            for (value, count) in zip(values, counts) where count > 0 {
                sum += Double(count) * value
                n += count
            }
            return sum / Double(n)
        }
    }
}
