import Foundation
import Testing
import WiseCore
import WiseStats
@testable import WiseReport

/// `JudgeShift` on legacy triples built in code: κ per aspect, flips, and shifts equal a direct
/// computation; what is unpaired is counted, not scored.
@Suite struct JudgeShiftTests {
    @Test func legacyAgreementShiftAndFlipsEqualADirectComputation() throws {
        // Given 4 prompts per category judged by A, and B that moves realism on ids 1, 6, 11 and
        // 16 and consistency on id 21, and gives no score to id 24
        let prompts = StudyFixtures.prompts(perCategory: 4)
        let a = prompts.map { StudyFixtures.legacy($0.id, ($0.id % 3, ($0.id / 2) % 3, ($0.id / 3) % 3)) }
        var b = a.map { j -> StudyJudgment in
            let s = j.scores!
            var (c, r, q) = (Int(s["consistency"]!), Int(s["realism"]!), Int(s["aesthetic_quality"]!))
            if [1, 6, 11, 16].contains(j.promptID) { r = (r + 1) % 3 }
            if j.promptID == 21 { c = (c + 2) % 3 }
            return StudyFixtures.legacy(j.promptID, (c, r, q))
        }
        b[23] = StudyJudgment(promptID: 24, repeatIndex: 0, status: .unscored, scores: nil, wiscore: nil, rawReply: "?", error: "no score")
        // When their shift is computed
        let units = JudgeShift.units(run: "r", prompts: prompts, reference: a, candidate: b)
        let shift = try JudgeShift(scoringProtocol: .legacy, units: units, resamples: 100, seed: 2)
        // Then 23 items are paired, 1 is scored by A only, and the flips are the five changed ids
        #expect(shift.paired == 23 && shift.referenceOnly == 1 && shift.candidateOnly == 0)
        #expect(shift.flips.map(\.promptID) == [1, 6, 11, 16, 21])
        // And κ per aspect is Cohen's κ of the paired levels over 0–2
        let paired = (0..<23).map { (a[$0], b[$0]) }
        for aspect in ScoringProtocol.legacy.aspects {
            let x = paired.map { Int($0.0.scores![aspect]!) }, y = paired.map { Int($0.1.scores![aspect]!) }
            let direct = try CohenKappa.kappa(x, y, labels: [0, 1, 2]).kappa
            #expect(shift.aspects.first { $0.name == aspect }?.kappa?.estimate == direct, "\(aspect)")
        }
        #expect(shift.aspects.first { $0.name == "aesthetic_quality" }?.kappa?.estimate == 1)
        // And the shifts are the mean differences, per category and weighted overall
        var overall = 0.0
        for category in Category.allCases {
            let inCategory = paired.filter { pair in prompts.first { $0.id == pair.0.promptID }!.category == category }
            let delta = inCategory.map { $0.1.wiscore! - $0.0.wiscore! }.reduce(0, +) / Double(inCategory.count)
            #expect(abs(shift.categoryShifts[category]!.estimate - delta) < 1e-12, "\(category)")
            overall += ScoringProtocol.legacy.weights[category]! * delta
        }
        #expect(abs(shift.overallShift!.estimate - overall) < 1e-12)
        #expect(abs(shift.meanShift!.estimate - paired.map { $0.1.wiscore! - $0.0.wiscore! }.reduce(0, +) / 23) < 1e-12)
        #expect(shift.headlineShift == shift.overallShift?.estimate)
    }

    @Test func withACategoryMissingThereIsNoWeightedShiftAndFullAgreementOnOneLevelIsNoDrift() throws {
        // Given culture prompts only, both judges giving every image (2, 2, 2)
        let prompts = StudyFixtures.prompts(perCategory: 3).filter { $0.category == .culture }
        let a = prompts.map { StudyFixtures.legacy($0.id, (2, 2, 2)) }
        // When their shift is computed
        let shift = try JudgeShift(scoringProtocol: .legacy, units: JudgeShift.units(run: "r", prompts: prompts, reference: a, candidate: a), resamples: 50)
        // Then there is no weighted overall, the plain mean stands in (and says so), and κ is undefined, not low
        #expect(shift.overallShift == nil && shift.meanShift?.estimate == 0 && shift.headlineShift == 0)
        #expect(shift.summaryLine().contains("mean shift +0.0000") && shift.summaryLine().contains("unweighted"))
        #expect(shift.lowestKappa == nil && shift.flips.isEmpty)
    }
}
