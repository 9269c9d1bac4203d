import Foundation

/// The regularized incomplete beta and gamma functions, and the inverse of the first, from which
/// every distribution in `Distribution` is built.
///
/// Both are evaluated by the classical series and continued fractions (modified Lentz), to about
/// 1e-15 relative in the tail that is computed directly; the functions return a value and its
/// complement together so that a caller asking for a small upper tail does not get it as
/// `1 - (something near 1)`.
enum SpecialFunctions {
    static let epsilon = 1e-16
    static let tiny = 1e-300
    static let maxIterations = 10_000

    /// ln Γ(x) for x > 0, through `lgamma_r`: plain `lgamma` writes the global `signgam`, a data
    /// race when tests run in parallel.
    @inline(__always)
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double {
        logGamma(a) + logGamma(b) - logGamma(a + b)
    }

    // MARK: Incomplete beta

    /// I_x(a, b) and 1 - I_x(a, b). `oneMinusX` is passed separately so that callers who know it
    /// exactly (an F tail, a binomial with p = 0.5) lose nothing to `1 - x`.
    static func incompleteBeta(a: Double, b: Double, x: Double, oneMinusX y: Double) -> (lower: Double, upper: Double) {
        if x <= 0 { return (0, 1) }
        if y <= 0 { return (1, 0) }
        let logFront = a * Foundation.log(x) + b * Foundation.log(y) - logBeta(a, b)
        let front = Foundation.exp(logFront)
        if x < (a + 1) / (a + b + 2) {
            let lower = front * betaContinuedFraction(a: a, b: b, x: x) / a
            return (lower, 1 - lower)
        } else {
            let upper = front * betaContinuedFraction(a: b, b: a, x: y) / b
            return (1 - upper, upper)
        }
    }

    /// The continued fraction for I_x(a, b), convergent for x < (a + 1) / (a + b + 2).
    private static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = guardTiny(1 - qab * x / qap)
        d = 1 / d
        var h = d
        for m in 1...maxIterations {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 / guardTiny(1 + aa * d)
            c = guardTiny(1 + aa / c)
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 / guardTiny(1 + aa * d)
            c = guardTiny(1 + aa / c)
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return h
    }

    @inline(__always)
    private static func guardTiny(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }

    /// The x in [0, 1] with I_x(a, b) = p, returned with 1 - x (for p near 1 the pair is found by
    /// solving the mirrored problem, so that 1 - x keeps its precision).
    static func inverseIncompleteBeta(a: Double, b: Double, p: Double) -> (x: Double, oneMinusX: Double) {
        if p <= 0 { return (0, 1) }
        if p >= 1 { return (1, 0) }
        if p > 0.5 {
            let mirrored = inverseIncompleteBetaLowerTail(a: b, b: a, p: 1 - p)
            return (mirrored.oneMinusX, mirrored.x)
        }
        return inverseIncompleteBetaLowerTail(a: a, b: b, p: p)
    }

    /// Newton's method on I_x(a, b) - p, kept inside a bracket that shrinks at every step and
    /// falling back to bisection when a step would leave it.
    private static func inverseIncompleteBetaLowerTail(a: Double, b: Double, p: Double) -> (x: Double, oneMinusX: Double) {
        var lo = 0.0, hi = 1.0
        var x = min(max(a / (a + b), 1e-3), 1 - 1e-3)
        let logB = logBeta(a, b)
        for _ in 0..<400 {
            let value = incompleteBeta(a: a, b: b, x: x, oneMinusX: 1 - x).lower - p
            if value == 0 { break }
            if value < 0 { lo = x } else { hi = x }
            let density = Foundation.exp((a - 1) * Foundation.log(x) + (b - 1) * Foundation.log1p(-x) - logB)
            var next = x - value / density
            if !(next > lo && next < hi) || !density.isFinite || density == 0 {
                next = (lo + hi) / 2
            }
            if abs(next - x) <= 4 * Double.ulpOfOne * x || hi - lo <= 4 * Double.ulpOfOne * hi {
                x = next
                break
            }
            x = next
        }
        return (x, 1 - x)
    }

    // MARK: Incomplete gamma

    /// P(a, x) and Q(a, x) = 1 - P(a, x), the regularized lower and upper incomplete gamma functions.
    static func incompleteGamma(a: Double, x: Double) -> (lower: Double, upper: Double) {
        if x <= 0 { return (0, 1) }
        let front = Foundation.exp(-x + a * Foundation.log(x) - logGamma(a))
        if x < a + 1 {
            var ap = a, delta = 1 / a, sum = delta
            for _ in 0..<maxIterations {
                ap += 1
                delta *= x / ap
                sum += delta
                if abs(delta) < abs(sum) * epsilon { break }
            }
            let lower = sum * front
            return (lower, 1 - lower)
        }
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...maxIterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = 1 / guardTiny(an * d + b)
            c = guardTiny(b + an / c)
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        let upper = front * h
        return (1 - upper, upper)
    }
}
