/// A paired bootstrap comparison of two runs on the same items (a prompt rewrite against the
/// original, any two runs of one set): the difference per stratum and overall, with percentile
/// intervals and two-sided bootstrap p-values.
///
/// Differences are candidate − baseline. The p-value of a difference is
/// min(1, 2 · min(#{Δ* ≤ 0}, #{Δ* ≥ 0}) / B) over the B resampled differences Δ*: the smallest
/// two-sided level whose percentile interval would still reach 0. It is 1 when the two runs are
/// equal on every item, and 0 when no resample reached 0, which means p < 1/B: report it so.
public struct PairedDifference: Sendable, Equatable, Codable {
    /// One difference with its interval and p-value.
    public struct Estimate: Sendable, Equatable, Codable {
        public var difference: ConfidenceInterval
        public var pValue: Double
    }

    public var resamples: Int
    public var seed: UInt64
    public var confidence: Double
    /// Stratum names, in board order.
    public var strata: [String]
    public var overall: Estimate
    /// One per stratum, in board order.
    public var perStratum: [Estimate]
}

extension StratifiedBootstrap {
    /// The paired bootstrap of run `candidate` against run `baseline` of `board`. The resamples
    /// are those `leaderboard(board)` draws with the same seed, so the two reports agree.
    public func pairedDifference(_ board: BootstrapBoard, baseline: Int, candidate: Int) throws(StatsError) -> PairedDifference {
        try validate()
        let pair = try board.selecting(runs: [baseline, candidate])
        let strata = board.strata.count, count = resamples
        // Column k < strata: stratum k's difference; column `strata`: the overall's.
        var samples = [Double](repeating: 0, count: (strata + 1) * count)
        var atOrBelowZero = [Int](repeating: 0, count: strata + 1)
        var atOrAboveZero = [Int](repeating: 0, count: strata + 1)
        samples.withUnsafeMutableBufferPointer { samples in
            forEachResample(of: pair) { b, means, overall in
                for k in 0...strata {
                    let delta = k < strata ? means[k * 2 + 1] - means[k * 2] : overall[1] - overall[0]
                    samples[k * count + b] = delta
                    if delta <= 0 { atOrBelowZero[k] += 1 }
                    if delta >= 0 { atOrAboveZero[k] += 1 }
                }
            }
        }
        let means = pair.stratumMeans, totals = pair.overall
        let estimates = means.map { $0[1] - $0[0] } + [totals[1] - totals[0]]
        let intervals = intervals(&samples, estimates: estimates)
        let results = (0...strata).map { k in
            PairedDifference.Estimate(
                difference: intervals[k],
                pValue: min(1, 2 * Double(min(atOrBelowZero[k], atOrAboveZero[k])) / Double(count))
            )
        }
        return PairedDifference(
            resamples: count, seed: seed, confidence: confidence, strata: board.strata.map(\.name),
            overall: results[strata], perStratum: Array(results[..<strata])
        )
    }
}
