import Foundation
import Testing
@testable import WiseStats

/// The bootstrap intervals of κ, α and a mean against `interval_reference.json`, which
/// `tools/stats_reference.py --intervals` computed with the same draws but independent code.
@Suite struct ItemBootstrapTests {
    struct Case: Decodable {
        let name: String?
        let y1: [Int]?, y2: [Int]?, labels: [Int]?, weights: String?
        let data: [[Double?]]?, level: String?
        let values: [Double]?
        let resamples: Int, seed: UInt64
        let estimate: Double, lower: Double, upper: Double, undefined: Int
    }
    struct File: Decodable { let kappa: [Case]; let alpha: [Case]; let mean: [Case] }

    static let reference: File = {
        let url = Bundle.module.url(forResource: "interval_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    func check(_ interval: ItemBootstrap.Interval?, _ c: Case, _ agreement: inout Agreement) {
        let what = "\(c.name ?? "mean") \(c.weights ?? c.level ?? "")"
        agreement.expect(interval?.estimate, c.estimate, "\(what) estimate")
        agreement.expect(interval?.lower, c.lower, "\(what) lower")
        agreement.expect(interval?.upper, c.upper, "\(what) upper")
        #expect(interval?.undefined == c.undefined, "\(what): \(String(describing: interval?.undefined)) undefined resamples, reference \(c.undefined)")
    }

    @Test func kappaIntervalsMatchTheReference() throws {
        // Given κ on 90 aspect pairs and on 7 mostly equal pairs (some resamples have no expected disagreement)
        var agreement = Agreement("kappa interval")
        for c in Self.reference.kappa {
            let weighting = try #require(CohenKappa.Weighting(rawValue: c.weights ?? ""))
            // When bootstrapped here with the same seed
            let interval = try CohenKappa.interval(c.y1 ?? [], c.y2 ?? [], weighting: weighting, labels: c.labels,
                                                   bootstrap: ItemBootstrap(resamples: c.resamples, seed: c.seed))
            // Then estimate, bounds and the count of undefined resamples agree
            check(interval, c, &agreement)
        }
        agreement.report()
        #expect(Self.reference.kappa.contains { $0.undefined > 0 }, "a case with undefined resamples is covered")
    }

    @Test func alphaIntervalsMatchTheReference() throws {
        // Given α of four raters with missing ratings, reals, binary pairs and a mostly constant table
        var agreement = Agreement("alpha interval")
        for c in Self.reference.alpha {
            let level = try #require(KrippendorffAlpha.Level(rawValue: c.level ?? ""))
            // When bootstrapped over units here
            let interval = try KrippendorffAlpha.interval(c.data ?? [], level: level, bootstrap: ItemBootstrap(resamples: c.resamples, seed: c.seed))
            // Then it agrees with the reference's pairwise implementation
            check(interval, c, &agreement)
        }
        agreement.report()
    }

    @Test func meanIntervalMatchesTheReference() throws {
        var agreement = Agreement("mean interval")
        for c in Self.reference.mean {
            check(try ItemBootstrap(resamples: c.resamples, seed: c.seed).mean(c.values ?? []), c, &agreement)
        }
        agreement.report()
    }

    @Test func noResamplesKeepTheEstimateAndNoItemsGiveNothing() throws {
        // Given no resamples, then the estimate stands without bounds
        let bare = try #require(try CohenKappa.interval([0, 1, 2, 1], [0, 1, 1, 1], labels: [0, 1, 2], bootstrap: ItemBootstrap(resamples: 0)))
        #expect(bare.estimate == (try CohenKappa.kappa([0, 1, 2, 1], [0, 1, 1, 1], labels: [0, 1, 2])).kappa)
        #expect(bare.lower == nil && bare.upper == nil)
        // And no items, or an undefined estimate, give no interval
        #expect(try ItemBootstrap().mean([]) == nil)
        #expect(try KrippendorffAlpha.interval([[1, 1], [1, 1]] as [[Int?]], level: .nominal, bootstrap: ItemBootstrap(resamples: 10)) == nil)
        // And a confidence outside [0.5, 1) is refused, not trapped on
        #expect(throws: StatsError.self) { try ItemBootstrap(confidence: 1.5).mean([1, 2]) }
    }

    @Test func theSameSeedGivesTheSameInterval() throws {
        let ratings: [[Int?]] = [[0, 1, 2, 2, 1, 0, 1, 2], [0, 1, 1, 2, 1, 0, 2, 2], [nil, 1, 2, 2, 0, 0, 1, nil]]
        let a = try KrippendorffAlpha.interval(ratings, level: .ordinal, bootstrap: ItemBootstrap(resamples: 200, seed: 9))
        let b = try KrippendorffAlpha.interval(ratings, level: .ordinal, bootstrap: ItemBootstrap(resamples: 200, seed: 9))
        let c = try KrippendorffAlpha.interval(ratings, level: .ordinal, bootstrap: ItemBootstrap(resamples: 200, seed: 10))
        #expect(a == b && a != c)
        #expect(a?.estimate == (try KrippendorffAlpha.alpha(ratings, level: .ordinal)))
    }
}
