/// Cohen's κ between two raters on the same items, unweighted or with linear or quadratic
/// weights, as scikit-learn's `cohen_kappa_score` computes it.
///
/// The categories are `labels` if given (they must contain every rating; their order is the
/// scale), else the sorted distinct ratings of both raters. Weights are by position in that
/// list, not by value: with labels [0, 2] the distance between 0 and 2 is 1, as in scikit-learn;
/// pass labels [0, 1, 2] to put the scale's unused middle back.
/// κ = 1 − Σ w·O / Σ w·E. Where Σ w·E = 0 (both raters gave one and the same category to every
/// item) κ is undefined and `kappa` is nil; scikit-learn returns NaN with a warning.
public enum CohenKappa {
    public enum Weighting: String, Sendable, Codable, CaseIterable {
        case unweighted, linear, quadratic
    }

    public struct Result: Sendable, Equatable, Codable {
        /// nil where κ is undefined (no expected disagreement).
        public var kappa: Double?
        /// The categories, in scale order.
        public var labels: [Int]
        /// `confusion[i][j]`: items the first rater put in labels[i] and the second in labels[j].
        public var confusion: [[Int]]
    }

    public static func kappa(
        _ first: [Int], _ second: [Int], weighting: Weighting = .unweighted, labels: [Int]? = nil
    ) throws(StatsError) -> Result {
        guard first.count == second.count else { throw StatsError("kappa: \(first.count) ratings against \(second.count)") }
        let labels = labels ?? Array(Set(first + second)).sorted()
        var index: [Int: Int] = [:]
        for (i, label) in labels.enumerated() { index[label] = i }
        let k = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (a, b) in zip(first, second) {
            guard let i = index[a], let j = index[b] else {
                throw StatsError("kappa: rating \(index[a] == nil ? a : b) is not among the labels \(labels)")
            }
            confusion[i][j] += 1
        }
        let kappa = weightedKappa(confusion.map { $0.map(Double.init) }, weighting: weighting)
        return Result(kappa: kappa, labels: labels, confusion: confusion)
    }

    /// κ with a bootstrap interval over the paired items (each resample draws pairs of ratings),
    /// on the labels of the whole data (or `labels`), so every resample keeps the same scale.
    public static func interval(
        _ first: [Int], _ second: [Int], weighting: Weighting = .unweighted, labels: [Int]? = nil, bootstrap: ItemBootstrap
    ) throws(StatsError) -> ItemBootstrap.Interval? {
        try intervals(first, second, weightings: [weighting], labels: labels, bootstrap: bootstrap)[0]
    }

    /// κ under each of `weightings` with its interval, all from the same draws (each equal to
    /// what `interval` gives for that weighting alone).
    public static func intervals(
        _ first: [Int], _ second: [Int], weightings: [Weighting], labels: [Int]? = nil, bootstrap: ItemBootstrap
    ) throws(StatsError) -> [ItemBootstrap.Interval?] {
        let whole = try kappa(first, second, labels: labels)
        var index: [Int: Int] = [:]
        for (i, label) in whole.labels.enumerated() { index[label] = i }
        let cells = zip(first, second).compactMap { a, b in index[a].flatMap { i in index[b].map { (i, $0) } } }
        let k = whole.labels.count
        // One confusion matrix per draw, shared by the weightings.
        return try bootstrap.intervals(items: cells.count, count: weightings.count) { counts in
            var matrix = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for (cell, count) in zip(cells, counts) where count > 0 { matrix[cell.0][cell.1] += Double(count) }
            return weightings.map { weightedKappa(matrix, weighting: $0) }
        }
    }

    /// κ = 1 − Σ w·O / Σ w·E from a confusion matrix of (possibly repeated) item counts; nil
    /// without items or without expected disagreement.
    static func weightedKappa(_ confusion: [[Double]], weighting: Weighting) -> Double? {
        let k = confusion.count
        let rowSums = confusion.map { $0.reduce(0, +) }
        let columnSums = (0..<k).map { j in confusion.reduce(0) { $0 + $1[j] } }
        let total = rowSums.reduce(0, +)
        var observed = 0.0, expected = 0.0
        for i in 0..<k {
            for j in 0..<k {
                let distance = Double(abs(i - j))
                let w: Double = switch weighting {
                case .unweighted: i == j ? 0 : 1
                case .linear: distance
                case .quadratic: distance * distance
                }
                observed += w * confusion[i][j]
                expected += w * rowSums[i] * columnSums[j] / total
            }
        }
        return total > 0 && expected != 0 ? 1 - observed / expected : nil
    }
}
