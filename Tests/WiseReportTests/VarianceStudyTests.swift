import Foundation
import Testing
import WiseCore
import WiseStats
@testable import WiseReport

/// The variance study decides change on the exact score grid, and names its flip rate for what it counts.
@Suite struct VarianceStudyTests {
    let prompts = StudyFixtures.prompts(perCategory: 2)

    /// Five repeats per prompt: prompt 1 always (1, 1, 1), prompt 2 once (2, 1, 1), the others always (2, 2, 2).
    func study(resamples: Int = 200) throws -> VarianceStudy {
        var judgments: [StudyJudgment] = []
        for prompt in prompts {
            for r in 0..<5 {
                let triple = prompt.id == 1 ? (1, 1, 1) : prompt.id == 2 ? (r == 2 ? (2, 1, 1) : (1, 1, 1)) : (2, 2, 2)
                judgments.append(StudyFixtures.legacy(prompt.id, repeat: r, triple))
            }
        }
        let run = StudyFixtures.run("m", judgments, prompts: prompts)
        return try VarianceStudy(run: run, judgments: judgments, prompts: prompts, bootstrap: ItemBootstrap(resamples: resamples, seed: 4))
    }

    @Test func equalLegacyScoresAreNoChangeWhateverTheirFloatingPointSD() throws {
        // Given five repeats that all give (1, 1, 1), whose floating-point WiScores have an SD of about 6e-17
        let wiscores = [Double](repeating: ScoringProtocol.legacy.itemScore(AspectScores(["consistency": 1, "realism": 1, "aesthetic_quality": 1])), count: 5)
        let mean = wiscores.reduce(0, +) / 5
        let floatingSD = (wiscores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        #expect(floatingSD > 0, "the old rule (SD > 0) counts this item as changed: SD \(floatingSD)")
        // When the variance study reads them
        let s = try study()
        let steady = try #require(s.items.first { $0.prompt.id == 1 })
        // Then the item did not change: SD exactly 0, repeat flip rate 0
        #expect(!steady.changed && steady.sd == 0 && steady.repeatFlipRate == 0 && steady.exact == [10, 10, 10, 10, 10])
        // And only the item whose score really moved counts, and is the only least stable one
        #expect(s.changed == 1)
        let moved = try #require(s.items.first { $0.prompt.id == 2 })
        #expect(moved.changed && moved.repeatFlipRate == 0.4)
        let integerMean = 57.0 / 5, integerSD = ((4 * (10 - integerMean) * (10 - integerMean) + (17 - integerMean) * (17 - integerMean)) / 4).squareRoot()
        #expect(abs((moved.sd ?? 0) - integerSD / 20) < 1e-15)
        #expect(Category.allCases.flatMap { s.leastStableItems($0).map(\.prompt.id) } == [2])
        // And a negative --least-stable lists nothing rather than trapping
        let none = try VarianceStudy(run: s.run, judgments: [StudyFixtures.legacy(1, repeat: 0, (1, 1, 1)), StudyFixtures.legacy(1, repeat: 1, (2, 1, 1))],
                                     prompts: prompts, leastStable: -3, bootstrap: ItemBootstrap(resamples: 0))
        #expect(Category.allCases.allSatisfy { none.leastStableItems($0).isEmpty })
    }

    @Test func outputsNameTheRepeatFlipRateAndCarryIntervals() throws {
        // Given the study with a bootstrap of 200 resamples
        let s = try study()
        // When rendered as JSON
        let json = try #require(try StudyJSON.object(s.renderJSON()))
        // Then the counts and rates say what they count, and each carries an interval
        #expect(json["items_changed_across_repeats"] == .int(1))
        #expect(json["flip_rate"] == nil && json["mean_flip_rate"] == nil && json["items_changed"] == nil)
        for key in ["share_changed_across_repeats", "mean_sd", "mean_repeat_flip_rate"] {
            guard case .object(let fields)? = json[key] else { Issue.record("\(key) is not an interval object"); continue }
            #expect(Set(fields.map(\.0)) == ["estimate", "lower", "upper", "undefined_resamples"], "\(key)")
        }
        #expect(s.meanRepeatFlipRate?.estimate == 0.4 / Double(prompts.count))
        #expect(s.changedShare?.estimate == 1 / Double(prompts.count))
        // And α comes with the interval of its own bootstrap over items
        for a in s.alpha {
            let expected = a.alpha.map { _ in true } ?? false
            #expect((a.interval != nil) == expected, "\(a.measure)")
        }
        // And the text says what the flip rate counts
        let text = s.renderTerminal()
        #expect(text.contains("repeat flip rate (share of pairs of repeats of the same image whose score differs)"))
        #expect(text.contains("items whose score changed across repeats"))
        #expect(text.contains("95% CI"))
    }
}

/// Reads the studies' JSON output back through the one strict reader, for assertions on keys.
enum StudyJSON {
    static func object(_ text: String) throws -> [String: JSONValue]? {
        guard case .object(let fields) = try JSONValue.read(text) else { return nil }
        return Dictionary(fields, uniquingKeysWith: { a, _ in a })
    }
}
