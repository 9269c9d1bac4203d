/// McNemar's test for paired binary outcomes (two runs, or two judges, scoring the same items
/// 0 or 1), as statsmodels' `mcnemar` computes it. Only the discordant pairs count:
/// `b` items where the first says 1 and the second 0, `c` the other way round.
///
/// `.exact`: statistic min(b, c), p = min(1, 2 · P(X ≤ min(b, c))), X ~ Binomial(b + c, ½).
/// `.chiSquared`: statistic (|b − c| − k)² / (b + c), k = 1 with the continuity correction and
/// 0 without, p from χ² with one degree of freedom. As in statsmodels the corrected statistic is
/// not clamped at 0, so b = c > 0 gives 1/(b + c), not 0.
/// With no discordant pair (b = c = 0) every method gives statistic 0 and p = 1 (statsmodels
/// gives χ² = inf and p = 0 with the correction, NaN without).
public enum McNemar {
    public enum Method: Sendable, Equatable, Codable {
        case exact
        case chiSquared(continuityCorrection: Bool)
    }

    public struct Result: Sendable, Equatable, Codable {
        public var b: Int
        public var c: Int
        public var statistic: Double
        public var pValue: Double
        public var method: Method
    }

    public static func test(b: Int, c: Int, method: Method = .exact) -> Result {
        var result = Result(b: b, c: c, statistic: 0, pValue: 1, method: method)
        guard b + c > 0 else { return result }
        switch method {
        case .exact:
            result.statistic = Double(min(b, c))
            result.pValue = Distribution.binomialTwoSidedHalf(b, trials: b + c)
        case .chiSquared(let corrected):
            let gap = Double(abs(b - c)) - (corrected ? 1 : 0)
            result.statistic = gap * gap / Double(b + c)
            result.pValue = Distribution.chiSquaredSF(result.statistic, degreesOfFreedom: 1)
        }
        return result
    }

    /// The test on two aligned sequences of binary outcomes.
    public static func test(_ first: [Bool], _ second: [Bool], method: Method = .exact) throws(StatsError) -> Result {
        guard first.count == second.count else {
            throw StatsError("mcnemar: \(first.count) outcomes against \(second.count)")
        }
        let b = zip(first, second).filter { $0 && !$1 }.count
        let c = zip(first, second).filter { !$0 && $1 }.count
        return test(b: b, c: c, method: method)
    }
}
