/// The two-sided exact sign test of paired differences: are positive and negative differences
/// equally likely? Zeros are dropped; the p-value is scipy's `binomtest(k, n, 0.5)`.
public enum SignTest {
    public struct Result: Sendable, Equatable, Codable {
        public var positive: Int
        public var negative: Int
        public var zeros: Int
        /// min(1, 2 · P(X ≤ min(positive, negative))), X ~ Binomial(positive + negative, ½);
        /// 1 when every difference is zero.
        public var pValue: Double
    }

    public static func test(positive: Int, negative: Int, zeros: Int = 0) -> Result {
        Result(positive: positive, negative: negative, zeros: zeros,
               pValue: Distribution.binomialTwoSidedHalf(positive, trials: positive + negative))
    }

    public static func test(_ differences: [Int]) -> Result {
        test(differences.map(Double.init))
    }

    public static func test(_ differences: [Double]) -> Result {
        test(positive: differences.filter { $0 > 0 }.count,
             negative: differences.filter { $0 < 0 }.count,
             zeros: differences.filter { $0 == 0 }.count)
    }
}
