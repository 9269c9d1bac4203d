/// How a WISE judge scores an image and how item scores combine into the overall WiScore.
///
/// `legacy` is the paper's protocol (GPT-4o, three aspects 0–2); `verified` is WISE_Verified
/// (one binary score). The formulas are those of the official Calculate.py and
/// calculate_verified.py.
public enum ScoringProtocol: String, CaseIterable, Codable, Sendable {
    case legacy
    case verified

    /// The weight of each category in the overall score.
    public var weights: [Category: Double] {
        switch self {
        case .legacy:
            return [.culture: 0.4, .time: 0.167, .space: 0.133, .biology: 0.1, .physics: 0.1, .chemistry: 0.1]
        case .verified:
            return [.culture: 0.40, .time: 0.12, .space: 0.12, .biology: 0.12, .physics: 0.12, .chemistry: 0.12]
        }
    }

    /// The aspects a judge returns under this protocol, as the official score files name them.
    public var aspects: [String] {
        switch self {
        case .legacy: return ["consistency", "realism", "aesthetic_quality"]
        case .verified: return ["score"]
        }
    }

    /// The largest value one aspect may take (legacy 0–2, verified 0–1).
    public var maxAspectValue: Int { self == .legacy ? 2 : 1 }

    /// The WiScore of one image from its aspect scores (which must hold every aspect).
    public func itemScore(_ scores: AspectScores) -> Double {
        switch self {
        case .legacy:
            return (0.7 * scores["consistency"]! + 0.2 * scores["realism"]! + 0.1 * scores["aesthetic_quality"]!) / 2
        case .verified:
            return scores["score"]!
        }
    }

    /// The overall score from category means, summed in category order as the official scripts do.
    public func overall(_ means: [Category: Double]) -> Double? {
        var total = 0.0
        for category in Category.allCases {
            guard let mean = means[category] else { return nil }
            total += weights[category]! * mean
        }
        return total
    }
}

/// The scores a judge gave one image, keyed by aspect name ("consistency", "score", …).
public struct AspectScores: Sendable, Equatable, Codable {
    public var values: [String: Double]
    public init(_ values: [String: Double]) { self.values = values }
    public subscript(_ aspect: String) -> Double? { values[aspect] }

    /// Checks that every aspect of a protocol is present as an integer in its range.
    public func validate(for scoringProtocol: ScoringProtocol) -> String? {
        for aspect in scoringProtocol.aspects {
            guard let v = values[aspect] else { return "missing \(aspect)" }
            if v != v.rounded() || v < 0 || v > Double(scoringProtocol.maxAspectValue) {
                return "\(aspect) is \(formatNumber(v)), expected an integer 0–\(scoringProtocol.maxAspectValue)"
            }
        }
        return nil
    }
}

/// Prints a Double without a trailing ".0" when it is whole.
public func formatNumber(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}

/// A duration for people: `42 s`, `3.5 min`, `2.1 h`.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "unknown time" }
    if seconds < 90 { return String(format: "%.0f s", seconds) }
    if seconds < 5400 { return String(format: "%.1f min", seconds / 60) }
    return String(format: "%.1f h", seconds / 3600)
}
