/// The Wilcoxon signed-rank test of paired differences (two-sided), with the handling of zero
/// differences and ties named, as `scipy.stats.wilcoxon` computes it.
///
/// Pass integer differences where the scores allow (legacy: 7c + 2r + a, which is 20 × WiScore):
/// per-image scores in floating point differ by noise that splits ties and moves the p-value.
///
/// Zeros (`ZeroMethod`): `wilcox` drops them before ranking; `pratt` ranks them with the rest and
/// then drops their ranks; `zsplit` ranks them and gives half of their rank sum to each side.
///
/// Methods: `.normal` is the normal approximation with tie correction (and Cureton's adjustment
/// under pratt), optionally with a continuity correction of ½; `.exact` is the exact null
/// distribution of the signed ranks actually observed (each nonzero difference's sign flipped
/// with probability ½, midranks kept), which is the classical exact test when there are no ties
/// or zeros and what scipy's permutation test computes otherwise. `.auto` is exact when there
/// are at most 50 differences (zeros included) and normal, without continuity correction unless
/// asked, above that. See the module README for how this differs from scipy's `auto`.
public enum WilcoxonSignedRank {
    public enum ZeroMethod: String, Sendable, Codable, CaseIterable {
        case wilcox, pratt, zsplit
    }

    public enum Method: String, Sendable, Codable {
        case auto, exact, normal
    }

    /// The largest sample `.auto` tests exactly.
    public static let exactLimit = 50

    public struct Result: Sendable, Equatable, Codable {
        /// min(R+, R−), scipy's two-sided statistic.
        public var statistic: Double
        /// Sum of the ranks of positive (R+) and negative (R−) differences, zsplit's halves included.
        public var rankSumPositive: Double
        public var rankSumNegative: Double
        public var pValue: Double
        /// −|z| for the normal approximation (scipy's `zstatistic`); nil for the exact test.
        public var z: Double?
        /// The method that produced the p-value: `.exact` or `.normal`.
        public var method: Method
        public var zeroMethod: ZeroMethod
        public var continuityCorrection: Bool
        /// How many differences were given, and how many of them were zero.
        public var count: Int
        public var zeros: Int
        /// Whether two nonzero |differences| were equal.
        public var hasTies: Bool
    }

    /// The test on exact integer differences (ranked without any rounding).
    public static func test(
        _ differences: [Int], zeroMethod: ZeroMethod = .wilcox, correction: Bool = false, method: Method = .auto
    ) -> Result {
        test(differences.map(Double.init), zeroMethod: zeroMethod, correction: correction, method: method)
    }

    /// The test on differences; equal values are tied only when exactly equal.
    ///
    /// With no nonzero difference the test says nothing: statistic 0, p = 1, z = 0 (scipy gives a
    /// NaN, or under pratt with `method="exact"` a p from the wrong distribution).
    public static func test(
        _ differences: [Double], zeroMethod: ZeroMethod = .wilcox, correction: Bool = false, method: Method = .auto
    ) -> Result {
        let zeros = differences.filter { $0 == 0 }.count
        let chosen: Method = method == .auto ? (differences.count <= exactLimit ? .exact : .normal) : method
        // Under wilcox the zeros are not ranked at all.
        let ranked = zeroMethod == .wilcox ? differences.filter { $0 != 0 } : differences
        let (ranks, groups) = Ranking.midranks(ranked.map { abs($0) })
        var plus = 0.0, minus = 0.0, zeroRanks = 0.0
        for (d, r) in zip(ranked, ranks) {
            if d > 0 { plus += r } else if d < 0 { minus += r } else { zeroRanks += r }
        }
        if zeroMethod == .zsplit {
            plus += zeroRanks / 2
            minus += zeroRanks / 2
        }
        // Tie groups among nonzero |d|; the zeros, if ranked, form the first group.
        let nonzeroGroups = zeros > 0 && zeroMethod != .wilcox ? Array(groups.dropFirst()) : groups
        var result = Result(
            statistic: min(plus, minus), rankSumPositive: plus, rankSumNegative: minus, pValue: 1,
            z: chosen == .normal ? 0 : nil, method: chosen, zeroMethod: zeroMethod,
            continuityCorrection: chosen == .normal && correction,
            count: differences.count, zeros: zeros, hasTies: nonzeroGroups.contains { $0 > 1 }
        )
        guard zeros < differences.count else { return result }
        if chosen == .exact {
            let nonzero = zip(ranked, ranks).filter { $0.0 != 0 }
            result.pValue = exactPValue(doubledRanks: nonzero.map { Int(2 * $0.1) }, positive: nonzero.map { $0.0 > 0 })
        } else {
            let n = Double(ranked.count)
            var mean = n * (n + 1) / 4
            var variance = n * (n + 1) * (2 * n + 1)
            // zsplit keeps the zeros' tie group in the correction; pratt removes it (scipy's choice).
            var tieGroups = groups
            if zeroMethod == .pratt && zeros > 0 {
                let z = Double(zeros)
                mean -= z * (z + 1) / 4
                variance -= z * (z + 1) * (2 * z + 1)
                tieGroups = nonzeroGroups
            }
            let tieCorrection = tieGroups.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
            let se = ((variance - tieCorrection / 2) / 24).squareRoot()
            var z = (plus - mean) / se
            if correction { z -= (z > 0 ? 1 : z < 0 ? -1 : 0) * 0.5 / se }
            result.z = -abs(z)
            result.pValue = 2 * Distribution.normalSF(abs(z))
        }
        return result
    }

    /// Two-sided p of the observed positive rank sum under independent random signs:
    /// min(1, 2 · min(P(S ≤ s), P(S ≥ s))), S the sum of the doubled ranks that come out positive.
    /// Ranks are doubled so that midranks are whole numbers; the distribution is built by
    /// convolution, each rank halving the probabilities, which stay exact in a Double for any n
    /// this is used for (the cost is O(n · Σ ranks), about n³).
    static func exactPValue(doubledRanks: [Int], positive: [Bool]) -> Double {
        let total = doubledRanks.reduce(0, +)
        var probability = [Double](repeating: 0, count: total + 1)
        probability[0] = 1
        var reach = 0
        for r in doubledRanks {
            reach += r
            for s in stride(from: reach, through: 0, by: -1) {
                probability[s] = (probability[s] + (s >= r ? probability[s - r] : 0)) / 2
            }
        }
        let observed = zip(doubledRanks, positive).reduce(0) { $0 + ($1.1 ? $1.0 : 0) }
        let atMost = probability[...observed].reduce(0, +)
        let atLeast = probability[observed...].reduce(0, +)
        return min(1, 2 * min(atMost, atLeast))
    }
}
