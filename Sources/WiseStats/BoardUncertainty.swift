/// What a stratified bootstrap says about a leaderboard: every run's scores with intervals, its
/// rank with a rank interval, and how often each run beats each other run.
///
/// Runs keep the board's order; `order` lists them from the highest overall down, and
/// `adjacentOrder` gives, for each neighbour pair in that list, the probability that the
/// upper one really is above.
public struct BoardUncertainty: Sendable, Equatable, Codable {
    /// One run's row.
    public struct Run: Sendable, Equatable, Codable {
        /// The overall (Σ wₛ · meanₛ) with its percentile interval.
        public var overall: ConfidenceInterval
        /// Each stratum's mean, in board order, with its percentile interval.
        public var strata: [ConfidenceInterval]
        /// 1 + the number of runs whose overall is strictly higher.
        public var rank: Int
        /// Lower and higher quantiles of the resampled ranks (see `StratifiedBootstrap.leaderboard`).
        public var rankInterval: ClosedRange<Int>
    }

    /// One neighbour pair in `order`: P(upper's overall > lower's), ties counting one half.
    public struct AdjacentOrder: Sendable, Equatable, Codable {
        public var upper: Int
        public var lower: Int
        public var probability: Double
    }

    public var resamples: Int
    public var seed: UInt64
    public var confidence: Double
    /// Stratum names, in board order.
    public var strata: [String]
    public var runs: [Run]
    /// `orderProbability[i][j]`: the fraction of resamples with run i above run j (ties ½).
    public var orderProbability: [[Double]]

    /// Run indices from the highest overall estimate down (ties keep board order).
    public var order: [Int] {
        runs.indices.sorted { a, b in
            runs[a].overall.estimate != runs[b].overall.estimate
                ? runs[a].overall.estimate > runs[b].overall.estimate : a < b
        }
    }

    /// For each neighbour pair in `order`, how often the upper one stays above.
    public var adjacentOrder: [AdjacentOrder] {
        let order = order
        return zip(order, order.dropFirst()).map { upper, lower in
            AdjacentOrder(upper: upper, lower: lower, probability: orderProbability[upper][lower])
        }
    }
}
