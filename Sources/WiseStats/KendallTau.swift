/// Kendall's τ-b between two rankings (say two judges' scores of the same runs) with its
/// two-sided p-value, as `scipy.stats.kendalltau` computes it by default.
///
/// τ-b = (C − D) / √((P − Tx)(P − Ty)) over the P = n(n − 1)/2 pairs, C concordant, D discordant,
/// Tx and Ty the pairs tied in x and in y. The p-value is exact (the distribution of the number
/// of inversions of a random permutation) when neither variable has a tie and n ≤ 33 or
/// min(D, P − D) ≤ 1, and otherwise from the normal approximation with scipy's tie-corrected
/// variance. τ and p are nil where either variable is constant or there are fewer than two pairs
/// (scipy: NaN). Counting is over all pairs, O(n²): meant for boards and judges, fine for a few
/// thousand items.
public enum KendallTau {
    public struct Result: Sendable, Equatable, Codable {
        public var tau: Double?
        public var pValue: Double?
        /// Whether the p-value is exact (else the normal approximation).
        public var exact: Bool
        public var concordant: Int
        public var discordant: Int
    }

    public static func tauB(_ x: [Double], _ y: [Double]) throws(StatsError) -> Result {
        guard x.count == y.count else { throw StatsError("kendall: \(x.count) values against \(y.count)") }
        guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { throw StatsError("kendall: a value is not finite") }
        let n = x.count
        var concordant = 0, discordant = 0
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                let dx = x[i] - x[j], dy = y[i] - y[j]
                if (dx > 0 && dy > 0) || (dx < 0 && dy < 0) {
                    concordant += 1
                } else if (dx > 0 && dy < 0) || (dx < 0 && dy > 0) {
                    discordant += 1
                }
            }
        }
        var result = Result(tau: nil, pValue: nil, exact: false, concordant: concordant, discordant: discordant)
        let pairs = n * (n - 1) / 2
        let xTies = tieSums(x), yTies = tieSums(y)
        guard pairs > 0, xTies.pairs < pairs, yTies.pairs < pairs else { return result }
        let s = Double(concordant - discordant)
        let tau = s / Double(pairs - xTies.pairs).squareRoot() / Double(pairs - yTies.pairs).squareRoot()
        result.tau = min(1, max(-1, tau))
        if xTies.pairs == 0 && yTies.pairs == 0 && (n <= 33 || min(discordant, pairs - discordant) <= 1) {
            result.exact = true
            result.pValue = exactPValue(n: n, concordant: pairs - discordant)
        } else {
            let nd = Double(n), m = nd * (nd - 1)
            var variance = (m * (2 * nd + 5) - xTies.v1 - yTies.v1) / 18
            variance += 2 * Double(xTies.pairs) * Double(yTies.pairs) / m
            variance += xTies.v0 * yTies.v0 / (9 * m * (nd - 2))
            result.pValue = 2 * Distribution.normalSF(abs(s) / variance.squareRoot())
        }
        return result
    }

    /// For the tie groups of sizes t: Σ t(t−1)/2 (tied pairs), Σ t(t−1)(t−2) and Σ t(t−1)(2t+5).
    static func tieSums(_ values: [Double]) -> (pairs: Int, v0: Double, v1: Double) {
        var pairs = 0, v0 = 0.0, v1 = 0.0
        for t in Ranking.midranks(values).groupSizes where t > 1 {
            pairs += t * (t - 1) / 2
            let td = Double(t)
            v0 += td * (td - 1) * (td - 2)
            v1 += td * (td - 1) * (2 * td + 5)
        }
        return (pairs, v0, v1)
    }

    /// Two-sided exact p for c concordant pairs among n untied values: 2 · P(C ≤ min(c, P − c)),
    /// 1 at the centre, with C's distribution that of the inversions of a random permutation of n
    /// (built one element at a time; dividing by j at each step keeps it a probability).
    static func exactPValue(n: Int, concordant c: Int) -> Double {
        let pairs = n * (n - 1) / 2
        let tail = min(c, pairs - c)
        if n <= 2 || 4 * tail == n * (n - 1) { return 1 }
        var probability = [Double](repeating: 0, count: tail + 1)
        probability[0] = 1
        for j in 2...n {
            // Inserting element j adds 0…j−1 inversions: a moving sum of width j over the old row.
            var window = 0.0
            var next = probability
            for s in 0...tail {
                window += probability[s]
                if s >= j { window -= probability[s - j] }
                next[s] = window / Double(j)
            }
            probability = next
        }
        return min(1, 2 * probability.reduce(0, +))
    }
}
