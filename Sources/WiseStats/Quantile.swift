/// Sample quantiles as numpy computes them by default (`np.percentile(x, 100·q)`, method "linear",
/// also Hyndman & Fan's type 7), used for every percentile interval in this module.
///
/// For sorted values x₀ ≤ … ≤ xₙ₋₁ the quantile q lies at h = (n - 1)·q; with j = ⌊h⌋ and
/// g = h - j it is x_j + g·(x_{j+1} - x_j), written as numpy writes it (from the upper end
/// when g ≥ 1/2) so the two agree to the last bit or two.
public enum Quantile {
    /// The linear-interpolation quantile of already sorted, non-empty `sorted`, 0 ≤ q ≤ 1.
    public static func linear(sorted: UnsafeBufferPointer<Double>, _ q: Double) -> Double {
        let n = sorted.count
        precondition(n > 0, "quantile of no values")
        let h = Double(n - 1) * q
        let j = min(max(Int(h.rounded(.down)), 0), n - 1)
        let g = h - Double(j)
        let a = sorted[j], b = sorted[min(j + 1, n - 1)]
        let diff = b - a
        return g >= 0.5 ? b - diff * (1 - g) : a + diff * g
    }

    /// The linear-interpolation quantile of `values` (sorted here; NaN is not allowed).
    public static func linear(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        return sorted.withUnsafeBufferPointer { linear(sorted: $0, q) }
    }

    /// numpy's "lower" (q ↦ x_⌊h⌋) and "higher" (q ↦ x_⌈h⌉) quantiles of sorted integer
    /// values given as a histogram: `counts[v]` is how many times v occurs. Used for rank
    /// intervals, which stay whole ranks.
    static func lowerHigher(counts: UnsafeBufferPointer<Int>, total: Int, _ q: Double) -> (lower: Int, higher: Int) {
        let h = Double(total - 1) * q
        return (value(at: Int(h.rounded(.down)), counts), value(at: Int(h.rounded(.up)), counts))
    }

    private static func value(at position: Int, _ counts: UnsafeBufferPointer<Int>) -> Int {
        var seen = 0
        for (v, c) in counts.enumerated() {
            seen += c
            if seen > position { return v }
        }
        return counts.count - 1
    }
}
