import Foundation
import Testing
import WiseCore
import WiseStats
@testable import WiseReport

/// The self-preference check on runs built in code, with known generator and judge families.
@Suite struct AgreementStudyTests {
    let prompts: [Prompt] = (1...4).map {
        Prompt(set: .verified, id: $0, category: .culture, categoryLabel: "Culture", subcategory: "s", domain: "d", text: "p\($0)", explanation: "e")
    }

    func pair(_ name: String, family: String?, a: [Double], b: [Double]) -> AgreementStudy.JudgedRun {
        func run(_ judge: String, _ values: [Double]) -> (StudyRun, [StudyJudgment]) {
            let outcomes = Dictionary(uniqueKeysWithValues: zip(prompts.map(\.id), values.map { ItemOutcome.scored($0) }))
            let score = WiScore(scoringProtocol: .verified, categoryOf: { _ in .culture }, ids: prompts.map(\.id), outcomes: outcomes)
            let summary = RunSummary(name: name, set: .verified, scoringProtocol: .verified, generator: AdapterSpec(adapter: "folder"),
                                     judge: AdapterSpec(adapter: "openai", parameters: ["model": judge]), score: score)
            let judgments = zip(prompts, values).map { prompt, v in
                StudyJudgment(promptID: prompt.id, repeatIndex: 0, status: .ok, scores: AspectScores(["score": v]), wiscore: v, rawReply: nil, error: nil)
            }
            return (StudyRun(summary: summary, outcomes: outcomes, catalogueHash: "h"), judgments)
        }
        let (ra, ja) = run("qwen-judge", a), (rb, jb) = run("other-judge", b)
        return AgreementStudy.JudgedRun(runs: [ra, rb], judgments: [ja, jb], generatorFamily: family)
    }

    @Test func selfPreferenceIsTheJudgesGapAgainstTheOtherJudges() throws {
        // Given judge A of family qwen, a qwen run and a flux run, where A scores qwen images higher than B does
        let pairs = [pair("qwen-run", family: "qwen", a: [1, 1, 1, 0], b: [1, 0, 0, 0]),
                     pair("flux-run", family: "flux", a: [0, 1, 0, 0], b: [1, 1, 0, 0])]
        let judges = pairs[0].runs.compactMap(\.summary.judge)
        // When the study runs with A's family known
        let study = try AgreementStudy(judges: judges, families: ["qwen", nil], runs: pairs, bootstrap: ItemBootstrap(resamples: 200, seed: 2))
        // Then A's gap (own − other family) is 3/4 − 1/4, B's on the same images 1/4 − 2/4, and the excess their difference
        let s = try #require(study.selfPreference.first)
        #expect(s.family == "qwen" && s.ownItems == 4 && s.otherItems == 4)
        #expect(s.gap == 0.75 - 0.25 && s.otherJudgeGap == 0.25 - 0.5 && s.excess == 0.5 - (-0.25))
        // And the excess carries a bootstrap interval around it
        let interval = try #require(s.excessInterval)
        #expect(abs(interval.estimate - s.excess) < 1e-12 && (interval.lower ?? .nan) <= s.excess && s.excess <= (interval.upper ?? .nan))
        // And as these runs cover one category only (no overall), τ-b over runs says what it needs
        #expect(study.ranks.count == 1 && study.ranks[0].tau == nil && study.ranks[0].problem?.contains("overall") == true)
    }

    @Test func threeJudgesGetOneAlphaAndAKappaPerPair() throws {
        // Given three judges on two legacy runs, judge C missing every third image
        let prompts = StudyFixtures.prompts(perCategory: 4)
        let triples: [[(Int, Int, Int)]] = [
            prompts.map { p in (p.id % 3, (p.id / 2) % 3, 2) },
            prompts.map { p in ((p.id + (p.id % 4 == 0 ? 1 : 0)) % 3, (p.id / 2) % 3, 1) },
            prompts.map { p in (p.id % 3, (p.id / 3) % 3, p.id % 2) },
        ]
        func judged(_ name: String) -> AgreementStudy.JudgedRun {
            let judgments = triples.enumerated().map { j, row in
                zip(prompts, row).compactMap { p, t in j == 2 && p.id % 3 == 0 ? nil : StudyFixtures.legacy(p.id, t) }
            }
            let runs = judgments.enumerated().map { j, js in StudyFixtures.run(name, js, prompts: prompts, judge: "judge-\(j)") }
            return AgreementStudy.JudgedRun(runs: runs, judgments: judgments, generatorFamily: nil)
        }
        let runs = [judged("m"), judged("n")]
        let judges = runs[0].runs.compactMap(\.summary.judge)
        // When the agreement of all three is measured
        let study = try AgreementStudy(judges: judges, families: [nil, nil, nil], runs: runs, bootstrap: ItemBootstrap(resamples: 100, seed: 3))
        // Then α per aspect is Krippendorff's α of the three judges with C's gaps as missing ratings, over both runs
        let consistency = try #require(study.measures.first { $0.name == "consistency" })
        let grid: [[Int?]] = (0..<3).map { j in
            (0..<2).flatMap { _ in zip(prompts, triples[j]).map { p, t in j == 2 && p.id % 3 == 0 ? nil : t.0 } }
        }
        #expect(consistency.alpha?.estimate == (try KrippendorffAlpha.alpha(grid, level: .ordinal)))
        #expect(consistency.alpha?.lower != nil && consistency.items == 2 * prompts.count)
        // And κ comes per pair, on the images both judges of the pair scored
        #expect(consistency.pairs.map { [$0.first, $0.second] } == [[0, 1], [0, 2], [1, 2]])
        let withC = consistency.pairs[1]
        let both = (0..<2).flatMap { _ in prompts.indices.filter { prompts[$0].id % 3 != 0 } }
        #expect(withC.items == both.count)
        let kappa = try CohenKappa.kappa(both.map { triples[0][$0].0 }, both.map { triples[2][$0].0 }, labels: [0, 1, 2])
        #expect(withC.kappa?.kappa == kappa.kappa && withC.kappaInterval?.estimate == kappa.kappa)
        // And τ over two runs carries the few-runs caveat
        #expect(study.ranks.count == 3 && study.ranks.allSatisfy { $0.caveat?.contains("p-value means little") == true })
        // And the outputs name all three judges and every pair
        let text = study.renderTerminal()
        #expect(text.contains("C = ") && text.contains("A–C") && text.contains("B–C") && text.contains("95% CI"))
        let json = try #require(try StudyJSON.object(study.renderJSON()))
        guard case .array(let taus)? = json["kendall_tau_b"] else { Issue.record("kendall_tau_b is not a list"); return }
        #expect(taus.count == 3)
    }

    @Test func fewRunsGetACaveatAndManyDoNot() throws {
        // Given one run per category layout repeated: 3 runs, then 10 runs, two judges who agree on the order
        let prompts = StudyFixtures.prompts(perCategory: 1)
        func judged(_ i: Int) -> AgreementStudy.JudgedRun {
            let judgments = (0..<2).map { j in prompts.map { StudyFixtures.legacy($0.id, ((i + j) % 3, i % 3, 2)) } }
            return AgreementStudy.JudgedRun(runs: judgments.enumerated().map { j, js in StudyFixtures.run("r\(i)", js, prompts: prompts, judge: "j\(j)") },
                                            judgments: judgments, generatorFamily: nil)
        }
        for (count, caveat) in [(3, true), (AgreementStudy.fewRuns, false)] {
            let runs = (0..<count).map(judged)
            let study = try AgreementStudy(judges: runs[0].runs.compactMap(\.summary.judge), families: [nil, nil], runs: runs,
                                           bootstrap: ItemBootstrap(resamples: 0))
            #expect((study.ranks[0].caveat != nil) == caveat, "\(count) runs")
            #expect(study.renderTerminal().contains("p-value means little") == caveat)
        }
    }
}
