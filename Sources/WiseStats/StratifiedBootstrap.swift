/// The stratified, seeded bootstrap behind every leaderboard interval: items are resampled with
/// replacement within each stratum, the same indices for every run, and the weighted overall is
/// recomputed per resample.
///
/// Intervals are percentile intervals with numpy's default ("linear") quantile, see `Quantile`.
/// The draws depend only on the seed and the stratum sizes, in this order: for resample b = 0,
/// 1, …, for each stratum in board order, as many indices as the stratum has items, each from
/// `Xoshiro256StarStar.next(below:)`. So the same seed gives the same numbers on every machine,
/// and two boards with the same strata sizes (a board and `selecting(runs:)` of it) see the
/// very same resamples.
public struct StratifiedBootstrap: Sendable {
    public var resamples: Int
    public var seed: UInt64
    /// The coverage of every interval, 0.95 by default: quantiles (1 - c)/2 and (1 + c)/2.
    public var confidence: Double

    public init(resamples: Int = 10_000, seed: UInt64, confidence: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }

    var lowerQuantile: Double { (1 - confidence) / 2 }
    var upperQuantile: Double { (1 + confidence) / 2 }

    func validate() throws(StatsError) {
        guard resamples > 0 else { throw StatsError("bootstrap: resamples must be positive, not \(resamples)") }
        guard confidence > 0 && confidence < 1 else { throw StatsError("bootstrap: confidence must lie in (0, 1), not \(confidence)") }
    }

    /// Calls `body(b, stratumMeans, overall)` for each resample b, where `stratumMeans[s · runs + run]`
    /// and `overall[run]` are that resample's statistics. Nothing is allocated inside the loop.
    func forEachResample(
        of board: BootstrapBoard,
        _ body: (Int, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>) -> Void
    ) {
        let runs = board.runCount
        let weights = board.strata.map(\.weight)
        var generator = Xoshiro256StarStar(seed: seed)
        var means = [Double](repeating: 0, count: board.strata.count * runs)
        var overall = [Double](repeating: 0, count: runs)
        var sums = [Double](repeating: 0, count: runs)
        means.withUnsafeMutableBufferPointer { means in
            overall.withUnsafeMutableBufferPointer { overall in
                sums.withUnsafeMutableBufferPointer { sums in
                    for b in 0..<resamples {
                        overall.update(repeating: 0)
                        for (s, row) in board.rows.enumerated() {
                            sums.update(repeating: 0)
                            let items = row.count / runs
                            row.withUnsafeBufferPointer { row in
                                for _ in 0..<items {
                                    let base = generator.next(below: items) * runs
                                    for run in 0..<runs { sums[run] += row[base + run] }
                                }
                            }
                            let count = Double(items), weight = weights[s]
                            for run in 0..<runs {
                                let mean = sums[run] / count
                                means[s * runs + run] = mean
                                overall[run] += weight * mean
                            }
                        }
                        body(b, UnsafeBufferPointer(means), UnsafeBufferPointer(overall))
                    }
                }
            }
        }
    }

    /// Each run's overall and stratum scores with intervals, its rank with a rank interval, and
    /// for every pair of runs the probability that one scores above the other.
    ///
    /// Ranks count from 1 for the highest score; a run's rank is 1 + the number of runs scoring
    /// strictly higher (so tied runs share the better rank). The rank interval is numpy's
    /// "lower" quantile at (1 - c)/2 and "higher" quantile at (1 + c)/2 of the resampled ranks:
    /// whole ranks, and never narrower than the linear quantile would give.
    /// `orderProbability[i][j]` is the fraction of resamples where run i's overall is above run
    /// j's, a tie counting one half, so `[i][j] + [j][i] = 1`.
    public func leaderboard(_ board: BootstrapBoard) throws(StatsError) -> BoardUncertainty {
        try validate()
        let runs = board.runCount, strata = board.strata.count, count = resamples
        // Column-major samples: one contiguous column per statistic, sorted in place at the end.
        var overallSamples = [Double](repeating: 0, count: runs * count)
        var stratumSamples = [Double](repeating: 0, count: strata * runs * count)
        var rankCounts = [Int](repeating: 0, count: runs * (runs + 1))
        var halfWins = [Int](repeating: 0, count: runs * runs)
        overallSamples.withUnsafeMutableBufferPointer { overallSamples in
            stratumSamples.withUnsafeMutableBufferPointer { stratumSamples in
                rankCounts.withUnsafeMutableBufferPointer { rankCounts in
                    halfWins.withUnsafeMutableBufferPointer { halfWins in
                        forEachResample(of: board) { b, means, overall in
                            for k in 0..<(strata * runs) { stratumSamples[k * count + b] = means[k] }
                            for i in 0..<runs {
                                let score = overall[i]
                                overallSamples[i * count + b] = score
                                var higher = 0
                                for j in 0..<runs where j != i {
                                    let other = overall[j]
                                    if other > score {
                                        higher += 1
                                    } else {
                                        halfWins[i * runs + j] += other == score ? 1 : 2
                                    }
                                }
                                rankCounts[i * (runs + 1) + 1 + higher] += 1
                            }
                        }
                    }
                }
            }
        }
        let pointOverall = board.overall, pointMeans = board.stratumMeans
        let overallIntervals = intervals(&overallSamples, estimates: pointOverall)
        let stratumIntervals = intervals(&stratumSamples, estimates: pointMeans.flatMap { $0 })
        var results: [BoardUncertainty.Run] = []
        rankCounts.withUnsafeBufferPointer { rankCounts in
            for run in 0..<runs {
                let histogram = UnsafeBufferPointer(rebasing: rankCounts[(run * (runs + 1))..<((run + 1) * (runs + 1))])
                let low = Quantile.lowerHigher(counts: histogram, total: count, lowerQuantile).lower
                let high = Quantile.lowerHigher(counts: histogram, total: count, upperQuantile).higher
                results.append(BoardUncertainty.Run(
                    overall: overallIntervals[run],
                    strata: (0..<strata).map { stratumIntervals[$0 * runs + run] },
                    rank: 1 + pointOverall.filter { $0 > pointOverall[run] }.count,
                    rankInterval: low...high
                ))
            }
        }
        let probability = (0..<runs).map { i in
            (0..<runs).map { j in i == j ? 0.5 : Double(halfWins[i * runs + j]) / Double(2 * count) }
        }
        return BoardUncertainty(
            resamples: count, seed: seed, confidence: confidence,
            strata: board.strata.map(\.name), runs: results, orderProbability: probability
        )
    }

    /// Sorts each column of `samples` (columns of `resamples` values, one per estimate) and reads
    /// the percentile interval around each estimate.
    func intervals(_ samples: inout [Double], estimates: [Double]) -> [ConfidenceInterval] {
        let count = resamples
        return samples.withUnsafeMutableBufferPointer { samples in
            estimates.enumerated().map { k, estimate in
                var column = UnsafeMutableBufferPointer(rebasing: samples[(k * count)..<((k + 1) * count)])
                column.sort()
                let sorted = UnsafeBufferPointer(column)
                return ConfidenceInterval(
                    estimate: estimate,
                    lower: Quantile.linear(sorted: sorted, lowerQuantile),
                    upper: Quantile.linear(sorted: sorted, upperQuantile)
                )
            }
        }
    }
}

/// A point estimate with the bounds of its interval.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double

    public init(estimate: Double, lower: Double, upper: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
    }
}
