import Foundation
import Testing
import WiseCore
import WiseStats
@testable import WiseReport

/// `wise compare` on runs built in code: empty categories get no test, legacy aspects get their own tables.
@Suite struct ComparisonTests {
    @Test func aCategoryWithNoPairedItemGetsNoTest() throws {
        // Given two verified runs where the second scored nothing in CULTURE
        let prompts = StudyFixtures.prompts(perCategory: 3, set: .verified)
        let first = prompts.map { StudyFixtures.verified($0.id, $0.id % 2) }
        let second = prompts.filter { $0.category != .culture }.map { StudyFixtures.verified($0.id, $0.id % 3 == 0 ? 1 : 0) }
        let a = StudyFixtures.run("v1", first, prompts: prompts, protocol: .verified, set: .verified)
        let b = StudyFixtures.run("v2", second, prompts: prompts, protocol: .verified, set: .verified)
        let integers = [first, second].map { js in Dictionary(uniqueKeysWithValues: js.map { ($0.promptID, Int($0.wiscore ?? 0)) }) }
        // When compared
        let comparison = try Comparison(original: a, rewrite: b, integers: integers, prompts: prompts, resamples: 100, seed: 1)
        // Then CULTURE has no McNemar, no Wilcoxon and no bootstrap p (once it printed McNemar p = 1 on no data)
        let culture = try #require(comparison.rows.first { $0.category == .culture })
        #expect(culture.paired == 0 && culture.mcnemar == nil && culture.wilcoxon == nil && culture.bootstrapP == nil)
        // And the other categories keep theirs, with the items whose pass/fail flipped between the runs counted
        let time = try #require(comparison.rows.first { $0.category == .time })
        let ids = prompts.filter { $0.category == .time }.map(\.id)
        let flipped = ids.filter { ($0 % 2) != ($0 % 3 == 0 ? 1 : 0) }.count
        #expect(time.mcnemar != nil && time.changedBetweenRuns == flipped && (time.mcnemar.map { $0.b + $0.c }) == flipped)
        // And the outputs say "no paired items" where a test would have been
        let text = comparison.renderTerminal()
        #expect(text.contains("no paired items") && text.contains("changed between runs"))
        let json = try #require(try StudyJSON.object(comparison.renderJSON()))
        guard case .array(let rows)? = json["rows"], case .object(let first)? = rows.first else { Issue.record("rows"); return }
        let fields = Dictionary(first, uniquingKeysWith: { a, _ in a })
        #expect(fields["no_paired_items"] == .bool(true) && fields["mcnemar"] == .null && fields["items_changed_between_runs"] == .int(0))
    }

    @Test func legacyAspectsGetPairedStatisticsOfTheirOwn() throws {
        // Given two legacy runs on 5 prompts per category, where the rewrite raises consistency on even ids
        let prompts = StudyFixtures.prompts(perCategory: 5)
        let before = prompts.map { StudyFixtures.legacy($0.id, ($0.id % 2, $0.id % 3 == 0 ? 2 : 1, 1)) }
        let after = prompts.map { StudyFixtures.legacy($0.id, ($0.id % 2 == 0 ? 2 : 1, $0.id % 3 == 0 ? 2 : 1, ($0.id % 5 == 0 ? 2 : 1))) }
        let a = StudyFixtures.run("o", before, prompts: prompts), b = StudyFixtures.run("r", after, prompts: prompts, set: .legacy)
        let aspects = [before, after].map { js in Dictionary(uniqueKeysWithValues: js.map { ($0.promptID, $0.scores!) }) }
        let integers = aspects.map { $0.compactMapValues { Comparison.integerScore($0, .legacy) } }
        // When compared
        let comparison = try Comparison(original: a, rewrite: b, integers: integers, aspects: aspects, prompts: prompts, resamples: 300, seed: 5)
        // Then each legacy aspect has its table, in the protocol's order
        #expect(comparison.aspects.map(\.measure) == ["consistency", "realism", "aesthetic_quality"])
        // And consistency's overall row pools the level differences for Wilcoxon and weights the categories for Δ
        let consistency = try #require(comparison.aspects.first?.rows.last)
        let diffs = prompts.map { Int(aspects[1][$0.id]!["consistency"]!) - Int(aspects[0][$0.id]!["consistency"]!) }
        #expect(consistency.wilcoxon?.pValue == WilcoxonSignedRank.test(diffs).pValue)
        #expect(consistency.changedBetweenRuns == diffs.filter { $0 != 0 }.count)
        var expected = 0.0
        for c in Category.allCases {
            let ids = prompts.filter { $0.category == c }.map(\.id)
            let mean = { (k: Int) in ids.reduce(0.0) { $0 + aspects[k][$1]!["consistency"]! } / Double(ids.count) }
            expected += ScoringProtocol.legacy.weights[c]! * (mean(1) - mean(0))
        }
        let difference = try #require(consistency.difference)
        #expect(abs(difference.estimate - expected) < 1e-12 && difference.lower <= difference.estimate && difference.estimate <= difference.upper)
        // And realism, unchanged, has no changed items and a zero difference
        let realism = try #require(comparison.aspects[1].rows.last)
        #expect(realism.changedBetweenRuns == 0 && realism.difference?.estimate == 0)
        // And both outputs carry the aspect tables
        #expect(comparison.renderTerminal().contains("Aspect · aesthetic_quality"))
        let json = try #require(try StudyJSON.object(comparison.renderJSON()))
        guard case .array(let tables)? = json["aspects"] else { Issue.record("aspects"); return }
        #expect(tables.count == 3)
    }
}
