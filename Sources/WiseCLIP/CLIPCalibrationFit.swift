import WiseCore

/// How far one aspect's thresholded CLIP levels agree with reference labels (an LLM judge's).
public struct CLIPAgreement: Sendable, Equatable {
    public var aspect: String
    /// Items compared.
    public var count: Int
    /// Share of items whose level equals the label.
    public var exactMatch: Double
    /// Cohen's κ with quadratic weights over the levels 0…max; nil when it is undefined
    /// (every label and level the same).
    public var quadraticKappa: Double?
}

extension CLIPCalibration {
    /// Fits the thresholds of every aspect to reference labels on the same images.
    ///
    /// `measurements[i]` are the judge's raw measurements for image i (a verdict's evidence),
    /// `labels[i]` the reference judge's aspect scores for it. Each aspect's cut points are
    /// chosen among the measurement's quantiles to maximise quadratic-weighted κ (exact match
    /// breaks ties), so the fit is deterministic. Items lacking a label or measurement are
    /// skipped. Returns the fitted calibration and the agreement it reaches.
    public func fitted(measurements: [[String: Double]], labels: [AspectScores]) throws -> (CLIPCalibration, [CLIPAgreement]) {
        var result = self
        var agreements: [CLIPAgreement] = []
        let maxLevel = scoringProtocol.maxAspectValue
        for aspect in scoringProtocol.aspects {
            let name = self.measurements[aspect]!
            var pairs: [(Double, Int)] = []
            for (m, l) in zip(measurements, labels) {
                if let value = m[name], value.isFinite, let label = l[aspect] { pairs.append((value, Int(label))) }
            }
            guard !pairs.isEmpty else {
                throw CLIPError(.badData, "calibration: no image has both a \(name) measurement and a \(aspect) label")
            }
            let sorted = pairs.map(\.0).sorted()
            var candidates = Set<Double>()
            for q in 0...100 { candidates.insert(sorted[min(sorted.count - 1, q * (sorted.count - 1) / 100)]) }
            let grid = candidates.sorted()
            var best: (cuts: [Double], kappa: Double, exact: Double)?
            func consider(_ cuts: [Double]) {
                let levels = pairs.map { pair in cuts.filter { pair.0 >= $0 }.count }
                let labels = pairs.map(\.1)
                let exact = Double(zip(levels, labels).filter { $0 == $1 }.count) / Double(pairs.count)
                let kappa = Self.quadraticKappa(levels, labels, maxLevel: maxLevel) ?? -1
                if best == nil || kappa > best!.kappa || (kappa == best!.kappa && exact > best!.exact) {
                    best = (cuts, kappa, exact)
                }
            }
            if maxLevel == 1 {
                for a in grid { consider([a]) }
            } else {
                for (i, a) in grid.enumerated() { for b in grid[i...] { consider([a, b]) } }
            }
            result.thresholds[aspect] = best!.cuts
            let levels = pairs.map { pair in best!.cuts.filter { pair.0 >= $0 }.count }
            agreements.append(CLIPAgreement(
                aspect: aspect, count: pairs.count, exactMatch: best!.exact,
                quadraticKappa: Self.quadraticKappa(levels, pairs.map(\.1), maxLevel: maxLevel)))
        }
        try result.validate()
        return (result, agreements)
    }

    /// Cohen's κ with weights (i − j)² between two ratings on 0…maxLevel.
    public static func quadraticKappa(_ a: [Int], _ b: [Int], maxLevel: Int) -> Double? {
        let k = maxLevel + 1, n = Double(a.count)
        guard n > 0, maxLevel > 0 else { return nil }
        var observed = [Double](repeating: 0, count: k * k)
        var rowTotals = [Double](repeating: 0, count: k), columnTotals = [Double](repeating: 0, count: k)
        for (x, y) in zip(a, b) {
            let i = min(max(x, 0), maxLevel), j = min(max(y, 0), maxLevel)
            observed[i * k + j] += 1
            rowTotals[i] += 1
            columnTotals[j] += 1
        }
        var disagreement = 0.0, expected = 0.0
        for i in 0..<k {
            for j in 0..<k {
                let weight = Double((i - j) * (i - j))
                disagreement += weight * observed[i * k + j] / n
                expected += weight * rowTotals[i] * columnTotals[j] / (n * n)
            }
        }
        return expected > 0 ? 1 - disagreement / expected : nil
    }
}
