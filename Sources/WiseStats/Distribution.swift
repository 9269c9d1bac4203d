import Foundation

/// The distribution functions the tests use for p-values and intervals: normal, χ², F and
/// binomial, accurate to about 1e-13 relative (see `SpecialFunctions`).
///
/// Upper tails (`…SF`, the survival function 1 - CDF) are computed directly, never as
/// `1 - cdf`, so a p-value of 1e-30 keeps its digits.
public enum Distribution {
    /// P(Z ≤ x) for a standard normal Z.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * Foundation.erfc(-x / 2.0.squareRoot())
    }

    /// P(Z > x) for a standard normal Z.
    public static func normalSF(_ x: Double) -> Double {
        0.5 * Foundation.erfc(x / 2.0.squareRoot())
    }

    /// P(X > x) for X ~ χ² with `degreesOfFreedom` > 0.
    public static func chiSquaredSF(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        return SpecialFunctions.incompleteGamma(a: k / 2, x: x / 2).upper
    }

    /// P(X ≤ x) for X ~ χ² with `degreesOfFreedom` > 0.
    public static func chiSquaredCDF(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN { return .nan }
        if x <= 0 { return 0 }
        if x == .infinity { return 1 }
        return SpecialFunctions.incompleteGamma(a: k / 2, x: x / 2).lower
    }

    /// P(X ≤ x) and P(X > x) for X ~ F(d1, d2).
    static func fTails(_ x: Double, _ d1: Double, _ d2: Double) -> (lower: Double, upper: Double) {
        if x <= 0 { return (0, 1) }
        if x == .infinity { return (1, 0) }
        // X = (d2 / d1) · B / (1 - B) with B ~ Beta(d1/2, d2/2): B = d1·x / (d1·x + d2).
        let denominator = d1 * x + d2
        return SpecialFunctions.incompleteBeta(a: d1 / 2, b: d2 / 2, x: d1 * x / denominator, oneMinusX: d2 / denominator)
    }

    /// P(X ≤ x) for X ~ F(d1, d2); the degrees of freedom need not be integers.
    public static func fCDF(_ x: Double, d1: Double, d2: Double) -> Double { fTails(x, d1, d2).lower }

    /// P(X > x) for X ~ F(d1, d2); the degrees of freedom need not be integers.
    public static func fSF(_ x: Double, d1: Double, d2: Double) -> Double { fTails(x, d1, d2).upper }

    /// The x with P(X ≤ x) = p for X ~ F(d1, d2) (scipy's `f.ppf`).
    public static func fQuantile(_ p: Double, d1: Double, d2: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return .infinity }
        let b = SpecialFunctions.inverseIncompleteBeta(a: d1 / 2, b: d2 / 2, p: p)
        return (d2 * b.x) / (d1 * b.oneMinusX)
    }

    /// P(X ≤ k) for X ~ Binomial(n, p).
    public static func binomialCDF(_ k: Int, trials n: Int, probability p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        // P(X ≤ k) = I_{1-p}(n - k, k + 1).
        return SpecialFunctions.incompleteBeta(a: Double(n - k), b: Double(k + 1), x: 1 - p, oneMinusX: p).lower
    }

    /// The two-sided exact binomial p-value for k successes in n trials at p = 1/2:
    /// min(1, 2·P(X ≤ min(k, n - k))); 1 when n = 0. This is scipy's `binomtest(k, n).pvalue`
    /// (which, for p = 1/2, reduces to this) and statsmodels' exact McNemar.
    public static func binomialTwoSidedHalf(_ k: Int, trials n: Int) -> Double {
        if n == 0 { return 1 }
        return min(1, 2 * binomialCDF(min(k, n - k), trials: n, probability: 0.5))
    }
}
