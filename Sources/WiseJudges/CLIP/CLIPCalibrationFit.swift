import WiseCLIP
import WiseCore
import WiseStats

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
    /// skipped, as are labels outside 0…max. Returns the fitted calibration and the agreement it reaches.
    public func fitted(measurements: [[String: Double]], labels: [AspectScores]) throws -> (CLIPCalibration, [CLIPAgreement]) {
        var result = self
        var agreements: [CLIPAgreement] = []
        let maxLevel = scoringProtocol.maxAspectValue
        for aspect in scoringProtocol.aspects {
            let name = self.measurements[aspect]!
            var pairs: [(Double, Int)] = []
            for (m, l) in zip(measurements, labels) {
                if let value = m[name], value.isFinite, let label = l[aspect], (0...Double(maxLevel)).contains(label) {
                    pairs.append((value, Int(label)))
                }
            }
            guard !pairs.isEmpty else {
                throw CLIPError(.badData, "calibration: no image has both a \(name) measurement and a \(aspect) label")
            }
            let sorted = pairs.map(\.0).sorted()
            var candidates = Set<Double>()
            for q in 0...100 { candidates.insert(sorted[min(sorted.count - 1, q * (sorted.count - 1) / 100)]) }
            // A cut just above the largest value puts every item below it: without it, labels
            // that never reach a level (all 0, or all 1 of 0…2) could not be fitted exactly.
            if sorted[sorted.count - 1].nextUp.isFinite { candidates.insert(sorted[sorted.count - 1].nextUp) }
            let grid = candidates.sorted()
            var best: (cuts: [Double], kappa: Double, exact: Double)?
            func consider(_ cuts: [Double]) {
                let levels = pairs.map { pair in cuts.filter { pair.0 >= $0 }.count }
                let labels = pairs.map(\.1)
                let exact = Double(zip(levels, labels).filter { $0 == $1 }.count) / Double(pairs.count)
                // κ is undefined when levels and labels are each one value; that is perfect
                // agreement when they are the same value, and none otherwise.
                let kappa = Self.quadraticKappa(levels, labels, maxLevel: maxLevel) ?? (exact == 1 ? 1 : -1)
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

    /// Quadratic-weighted κ of levels against labels on the scale 0…maxLevel.
    static func quadraticKappa(_ levels: [Int], _ labels: [Int], maxLevel: Int) -> Double? {
        let scale = Array(0...maxLevel)
        let clamp = { (x: Int) in min(max(x, 0), maxLevel) }
        return (try? CohenKappa.kappa(levels.map(clamp), labels.map(clamp), weighting: .quadratic, labels: scale))?.kappa
    }
}
