import Foundation
import Testing
@testable import WiseStats

/// The stopping rule of adaptive judging and the stratified order it walks, in-process.
@Suite struct AdaptiveStoppingTests {
    /// Strata of the verified set's sizes (400, 120 × 5) holding item numbers.
    static let strata: [[Int]] = {
        var next = 0
        return [400, 120, 120, 120, 120, 120].map { size in
            defer { next += size }
            return Array(next..<(next + size))
        }
    }()

    @Test func theOrderIsSeededAndEveryPrefixIsProportionalToTheStrata() {
        // Given the verified set's strata
        // When the order is made twice with seed 7 and once with seed 8
        let order = StratifiedOrder.order(Self.strata, seed: 7)
        // Then the same seed gives the same order and another seed another one
        #expect(order == StratifiedOrder.order(Self.strata, seed: 7))
        #expect(order != StratifiedOrder.order(Self.strata, seed: 8))
        // And it holds every item once
        #expect(order.sorted() == Array(0..<1000))
        // And after k items each stratum has given ⌊k·Nₛ/N⌋ or one more, for the verified and the legacy strata
        for sizes in [[400, 120, 120, 120, 120, 120], [400, 167, 133, 100, 100, 100]] {
            let strata = sizes.enumerated().map { s, size in (0..<size).map { (s, $0) } }
            var taken = [Int](repeating: 0, count: 6)
            for (k, item) in StratifiedOrder.order(strata, seed: 7).enumerated() {
                taken[item.0] += 1
                for (s, size) in sizes.enumerated() {
                    let share = (k + 1) * size / 1000
                    #expect(taken[s] == share || taken[s] == share + 1, "\(sizes): after \(k + 1) items stratum \(s) gave \(taken[s]), share \(share)")
                }
            }
        }
        // And within a stratum the items are shuffled, not in their given order
        #expect(order.filter { $0 < 400 }.prefix(20) != ArraySlice(0..<20))
    }

    /// A board of the first `items` items of the stratified order for runs scoring with probability `rates`.
    static func board(rates: [Double], items: Int, seed: UInt64 = 3) throws -> BootstrapBoard {
        var generator = Xoshiro256StarStar(seed: 99)
        let truth = Self.strata.map { stratum in rates.map { rate in stratum.map { _ in generator.nextUnit() < rate ? 1.0 : 0 } } }
        let picked = StratifiedOrder.order(Self.strata, seed: seed).prefix(items)
        let weights = [0.4] + Array(repeating: 0.12, count: 5)
        return try BootstrapBoard(strata: Self.strata.enumerated().map { s, stratum in
            let chosen = picked.filter { stratum.contains($0) }.map { $0 - stratum[0] }
            return BootstrapBoard.Stratum(name: "C\(s)", weight: weights[s], scores: truth[s].map { row in chosen.map { row[$0] } })
        })
    }

    static let sizes = [400, 120, 120, 120, 120, 120]

    @Test func runsFarApartSeparateAfterTheMinimumAndCloseOnesDoNot() throws {
        let rule = AdaptiveStopping(targets: [.separated], bootstrap: StratifiedBootstrap(resamples: 1000, seed: 1), minimumItems: 100)
        // Given three runs scoring 90%, 50% and 10% of items, 100 items judged
        let far = try rule.check(try Self.board(rates: [0.1, 0.9, 0.5], items: 100), population: Self.sizes)
        // Then the order is best first, every adjacent pair separates and the target is met
        #expect(far.order == [1, 2, 0])
        #expect(far.separated == [true, true])
        #expect(far.met == .separated)
        #expect(far.runs.map(\.rank) == [3, 1, 2])
        // Given the same runs with 50 items judged (under the minimum), nothing is met
        #expect(try rule.check(try Self.board(rates: [0.1, 0.9, 0.5], items: 50), population: Self.sizes).met == nil)
        // Given two runs of 50% and 52%, 200 items: the rank intervals overlap
        let close = try rule.check(try Self.board(rates: [0.5, 0.52], items: 200), population: Self.sizes)
        #expect(close.separated == [false])
        #expect(close.met == nil)
    }

    @Test func theWidthTargetIsMetOnceEveryIntervalIsNarrowEnoughAndAFullSampleHasNoWidth() throws {
        let rule = AdaptiveStopping(targets: [.width(0.15)], bootstrap: StratifiedBootstrap(resamples: 1000, seed: 1), minimumItems: 100)
        // Given one run at 50%: with 100 items its interval is wider than 0.15, with 500 narrower
        let few = try rule.check(try Self.board(rates: [0.5], items: 100), population: Self.sizes)
        let many = try rule.check(try Self.board(rates: [0.5], items: 500), population: Self.sizes)
        #expect(few.runs[0].width > 0.15 && few.met == nil, "\(few.runs[0])")
        #expect(many.runs[0].width <= 0.15 && many.met == .width(0.15), "\(many.runs[0])")
        // And the finite-population factor narrows it: 500 of 1000 items is narrower than the plain bootstrap's
        let plain = try StratifiedBootstrap(resamples: 1000, seed: 1).leaderboard(try Self.board(rates: [0.5], items: 500))
        #expect(many.runs[0].width < plain.runs[0].overall.upper - plain.runs[0].overall.lower)
        // Given every item judged: the interval is the score itself
        let all = try rule.check(try Self.board(rates: [0.5, 0.52], items: 1000), population: Self.sizes)
        #expect(all.runs.allSatisfy { $0.width < 1e-12 })
        #expect(all.runs.allSatisfy { $0.rankInterval.count == 1 })
    }

    @Test func aPopulationSmallerThanTheSampleIsRefused() throws {
        let rule = AdaptiveStopping(targets: [.separated], bootstrap: StratifiedBootstrap(resamples: 100, seed: 1))
        #expect(throws: StatsError.self) { try rule.check(try Self.board(rates: [0.5, 0.6], items: 1000), population: [10, 120, 120, 120, 120, 120]) }
        #expect(throws: StatsError.self) { try rule.check(try Self.board(rates: [0.5, 0.6], items: 100), population: [400]) }
    }
}
