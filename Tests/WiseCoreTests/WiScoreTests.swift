import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct WiScoreTests {
    /// Category of an id under the legacy ranges, written out independently of the manifest.
    func legacyCategory(_ id: Int) -> Category {
        switch id {
        case ...400: return .culture
        case ...567: return .time
        case ...700: return .space
        case ...800: return .biology
        case ...900: return .physics
        default: return .chemistry
        }
    }

    @Test func legacyMatchesThePublishedFormula() {
        // Given random 0–2 aspect scores for 1000 items, 37 of them missing
        var rng = SplitMix(seed: 7)
        let missing = Set((0..<37).map { _ in Int(rng.next() % 1000) + 1 })
        var outcomes: [Int: ItemOutcome] = [:]
        var buckets: [Category: [Double]] = [:]
        for id in 1...1000 where !missing.contains(id) {
            let c = Double(rng.next() % 3), r = Double(rng.next() % 3), a = Double(rng.next() % 3)
            let item = ScoringProtocol.legacy.itemScore(AspectScores(["consistency": c, "realism": r, "aesthetic_quality": a]))
            #expect(item == (0.7 * c + 0.2 * r + 0.1 * a) / 2)
            outcomes[id] = .scored(item)
            buckets[legacyCategory(id), default: []].append(item)
        }
        // When scored
        let score = WiScore(scoringProtocol: .legacy, categoryOf: legacyCategory, ids: Array(1...1000), outcomes: outcomes)
        // Then each category is the plain mean and the overall the weighted sum, to full precision
        for (category, values) in buckets {
            #expect(score.categories[category]!.score! == values.reduce(0, +) / Double(values.count))
        }
        let m = { (c: Category) in score.categories[c]!.score! }
        let expected = 0.4 * m(.culture) + 0.167 * m(.time) + 0.133 * m(.space) + 0.1 * m(.biology) + 0.1 * m(.physics) + 0.1 * m(.chemistry)
        #expect(abs(score.overall! - expected) < 1e-15)
        #expect(score.categories.values.map(\.missing).reduce(0, +) == missing.count)
        #expect(score.scoredCount == 1000 - missing.count)
    }

    @Test func overallNeedsEveryCategory() {
        // Given only culture items scored, the rest unscored, failed or unjudged
        var outcomes: [Int: ItemOutcome] = [:]
        for id in 1...400 { outcomes[id] = .scored(1) }
        for id in 401...567 { outcomes[id] = .unscored }
        for id in 568...700 { outcomes[id] = .failed }
        for id in 701...1000 { outcomes[id] = .unjudged }
        // When scored with the verified weights
        let score = WiScore(scoringProtocol: .verified, categoryOf: legacyCategory, ids: Array(1...1000), outcomes: outcomes)
        // Then there is no overall, never a 0 standing in for the missing categories
        #expect(score.overall == nil)
        #expect(score.categories[.culture]!.score == 1)
        #expect(score.categories[.time]!.score == nil && score.categories[.time]!.unscored == 167)
        #expect(score.categories[.space]!.failed == 133)
        #expect(score.categories[.biology]!.unjudged == 100)
    }

    @Test func verifiedWeights() {
        // Given every category at a different mean / Then the overall uses 0.40 and 0.12 each
        let means: [Category: Double] = [.culture: 0.5, .time: 0.25, .space: 1, .biology: 0, .physics: 0.75, .chemistry: 0.125]
        let overall = ScoringProtocol.verified.overall(means)!
        #expect(abs(overall - (0.40 * 0.5 + 0.12 * (0.25 + 1 + 0 + 0.75 + 0.125))) < 1e-15)
    }

    @Test func aspectValidation() {
        #expect(AspectScores(["score": 1]).validate(for: .verified) == nil)
        #expect(AspectScores(["score": 2]).validate(for: .verified) == "score is 2, expected an integer 0–1")
        #expect(AspectScores(["consistency": 1.5, "realism": 1, "aesthetic_quality": 1]).validate(for: .legacy)
                == "consistency is 1.5, expected an integer 0–2")
        #expect(AspectScores(["consistency": 1, "realism": 1]).validate(for: .legacy) == "missing aesthetic_quality")
    }
}

