import Foundation
import Testing

/// The reference values `tools/stats_reference.py` recorded from scipy, scikit-learn,
/// krippendorff, pingouin and statsmodels, with the data they were computed on.
struct Reference: Decodable {
    struct Xoshiro: Decodable { let seed: UInt64; let first: [String]; let bounds: [Int]; let bounded: [Int] }
    struct QuantileCase: Decodable { let values: [Double]; let q: [Double]; let expected: [Double] }
    struct Distributions: Decodable {
        let normal_sf, normal_cdf, chi2_sf, chi2_cdf, f_sf, f_ppf, binom_cdf: [[Double]]
    }
    struct Bootstrap: Decodable {
        struct Stratum: Decodable { let name: String; let weight: Double; let scores: [[Double]] }
        let strata: [Stratum]
        let resamples: Int
        let seed: UInt64
        let overall: [[Double]]
        let stratum: [[[Double]]]
        let rank_interval: [[Int]]
        let order_probability: [[Double]]
        let paired_overall: [Double]
        let paired_stratum: [[Double]]
    }
    struct Wilcoxon: Decodable {
        let name: String; let d: [Double]; let zero_method: String; let correction: Bool; let method: String
        let statistic: Double; let pvalue: Double; let z: Double?
    }
    struct Sign: Decodable { let d: [Int]; let positive: Int; let negative: Int; let pvalue: Double }
    struct McNemarCase: Decodable {
        let b: Int; let c: Int; let exact: Bool; let correction: Bool; let statistic: Double; let pvalue: Double
    }
    struct Kappa: Decodable { let name: String; let y1: [Int]; let y2: [Int]; let labels: [Int]?; let weights: String; let kappa: Double? }
    struct Alpha: Decodable { let name: String; let data: [[Double?]]; let level: String; let alpha: Double? }
    struct ICC: Decodable {
        let name: String; let data: [[Double?]]
        let icc: Double?; let f: Double?; let f_infinite: Bool?; let df1: Double; let df2: Double
        let pvalue: Double?; let lower: Double?; let upper: Double?
    }
    struct Kendall: Decodable { let name: String; let x: [Double]; let y: [Double]; let tau: Double?; let pvalue: Double? }

    let versions: [String: String]
    let xoshiro: Xoshiro
    let quantile: [QuantileCase]
    let distributions: Distributions
    let bootstrap: Bootstrap
    let wilcoxon: [Wilcoxon]
    let sign: [Sign]
    let mcnemar: [McNemarCase]
    let kappa: [Kappa]
    let alpha: [Alpha]
    let icc: [ICC]
    let kendall: [Kendall]

    static let shared: Reference = {
        let url = Bundle.module.url(forResource: "stats_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
}

/// Compares results with reference values and remembers the largest deviation seen.
///
/// Two numbers agree when they differ by at most 1e-9 absolutely or 1e-9 relative to the
/// reference (the first decides for values near 0, the second for large statistics). nil agrees
/// only with nil. `report()` prints the largest absolute and relative deviations.
struct Agreement {
    static let tolerance = 1e-9
    let name: String
    private(set) var maxAbsolute = 0.0
    private(set) var maxRelative = 0.0
    private(set) var compared = 0

    init(_ name: String) { self.name = name }

    mutating func expect(
        _ actual: Double?, _ expected: Double?, _ what: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let actual, let expected else {
            #expect(actual == nil && expected == nil, "\(what()): \(String(describing: actual)) vs \(String(describing: expected))",
                    sourceLocation: sourceLocation)
            return
        }
        compared += 1
        if actual == expected { return }
        let absolute = abs(actual - expected)
        let relative = absolute / abs(expected)
        maxAbsolute = max(maxAbsolute, absolute)
        if expected != 0 { maxRelative = max(maxRelative, relative) }
        #expect(absolute <= Self.tolerance || relative <= Self.tolerance, "\(what()): \(actual) vs \(expected)",
                sourceLocation: sourceLocation)
    }

    func report() {
        print("\(name): \(compared) values, max deviation \(maxAbsolute) absolute, \(maxRelative) relative")
    }
}
