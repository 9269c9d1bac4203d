/// ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss's
/// ICC(2,1), McGraw & Wong's ICC(A,1), pingouin's "ICC2"), with its F test and the F-based
/// confidence interval, as `pingouin.intraclass_corr` computes them but unrounded.
///
/// Data are `ratings[target][rater]` (n targets, k raters: for repeat judging, images × repeats).
/// Targets with a missing rating are dropped whole (pingouin's `nan_policy="omit"`).
/// ICC = (MSR − MSE) / (MSR + (k − 1)·MSE + k·(MSC − MSE)/n), F = MSR/MSE on (n − 1) and
/// (n − 1)(k − 1) degrees of freedom. The interval is McGraw & Wong's, with Satterthwaite's
/// degrees of freedom v, and F quantiles computed here to ~1e-13 (pingouin prints it to two
/// decimals by default).
/// Undefined cases: constant ratings (every mean square 0) give a nil ICC, F and p; ratings with no
/// residual (MSE = 0, raters agree exactly but targets differ) give ICC 1, F = +inf, p = 0 and
/// no interval (pingouin: NaN bounds).
public enum IntraclassCorrelation {
    public struct Result: Sendable, Equatable, Codable {
        public var icc: Double?
        /// MSR / MSE, and its p-value; nil when both are 0 (constant ratings).
        public var f: Double?
        public var df1: Double
        public var df2: Double
        public var pValue: Double?
        /// The (1 − α) interval; nil where it is undefined.
        public var lower: Double?
        public var upper: Double?
        /// Targets used (after dropping incomplete ones) and raters.
        public var targets: Int
        public var raters: Int
        public var msRows: Double
        public var msColumns: Double
        public var msError: Double
    }

    public static func icc2(_ ratings: [[Double?]], confidence: Double = 0.95) throws(StatsError) -> Result {
        guard let k = ratings.first?.count else { throw StatsError("icc: no targets") }
        guard ratings.allSatisfy({ $0.count == k }) else { throw StatsError("icc: targets have different numbers of raters") }
        let complete = ratings.compactMap { row -> [Double]? in
            let values = row.compactMap { $0 }
            return values.count == k ? values : nil
        }
        let n = complete.count
        guard n >= 2, k >= 2 else { throw StatsError("icc: needs at least 2 complete targets and 2 raters, has \(n) and \(k)") }
        guard complete.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw StatsError("icc: a rating is not finite") }
        let nd = Double(n), kd = Double(k)
        let rowMeans = complete.map { $0.reduce(0, +) / kd }
        let columnMeans = (0..<k).map { j in complete.reduce(0) { $0 + $1[j] } / nd }
        let grand = rowMeans.reduce(0, +) / nd
        let ssRows = kd * rowMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let ssColumns = nd * columnMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        var ssError = 0.0
        for (i, row) in complete.enumerated() {
            for (j, x) in row.enumerated() {
                let e = x - rowMeans[i] - columnMeans[j] + grand
                ssError += e * e
            }
        }
        let df1 = nd - 1, dfColumns = kd - 1, df2 = (nd - 1) * (kd - 1)
        let msr = ssRows / df1, msc = ssColumns / dfColumns, mse = ssError / df2
        let denominator = msr + (kd - 1) * mse + kd * (msc - mse) / nd
        let icc: Double? = denominator != 0 ? (msr - mse) / denominator : nil
        let f: Double? = msr == 0 && mse == 0 ? nil : msr / mse
        var result = Result(
            icc: icc, f: f, df1: df1, df2: df2, pValue: f.map { Distribution.fSF($0, d1: df1, d2: df2) },
            lower: nil, upper: nil, targets: n, raters: k, msRows: msr, msColumns: msc, msError: mse
        )
        guard let icc, mse > 0 else { return result }
        // McGraw & Wong (1996), case 2A: Satterthwaite's v for the denominator's mean squares.
        let fj = msc / mse
        let a = kd * icc * fj + nd * (1 + (kd - 1) * icc) - kd * icc
        let b = nd * (1 + (kd - 1) * icc) - kd * icc
        let v = df2 * a * a / (df1 * kd * kd * icc * icc * fj * fj + b * b)
        guard v.isFinite, v > 0 else { return result }
        let q = (1 + confidence) / 2
        let fUpper = Distribution.fQuantile(q, d1: df1, d2: v)
        let fLower = Distribution.fQuantile(q, d1: v, d2: df1)
        let spread = kd * msc + (kd * nd - kd - nd) * mse
        result.lower = nd * (msr - fUpper * mse) / (fUpper * spread + nd * msr)
        result.upper = nd * (fLower * msr - mse) / (spread + nd * fLower * msr)
        return result
    }
}
