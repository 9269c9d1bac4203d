import Foundation
import Testing
import WiseCore
@testable import WiseReport

/// The self-preference check on runs built in code, with known generator and judge families.
@Suite struct AgreementStudyTests {
    let prompts: [Prompt] = (1...4).map {
        Prompt(set: .verified, id: $0, category: .culture, categoryLabel: "Culture", subcategory: "s", domain: "d", text: "p\($0)", explanation: "e")
    }

    func pair(_ name: String, family: String?, a: [Double], b: [Double]) -> AgreementStudy.Pair {
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
        return AgreementStudy.Pair(first: ra, second: rb, firstJudgments: ja, secondJudgments: jb, generatorFamily: family)
    }

    @Test func selfPreferenceIsTheJudgesGapAgainstTheOtherJudges() throws {
        // Given judge A of family qwen, a qwen run and a flux run, where A scores qwen images higher than B does
        let pairs = [pair("qwen-run", family: "qwen", a: [1, 1, 1, 0], b: [1, 0, 0, 0]),
                     pair("flux-run", family: "flux", a: [0, 1, 0, 0], b: [1, 1, 0, 0])]
        let judges = [pairs[0].first.summary.judge!, pairs[0].second.summary.judge!]
        // When the study runs with A's family known
        let study = try AgreementStudy(judges: judges, families: ["qwen", nil], pairs: pairs)
        // Then A's gap (own − other family) is 3/4 − 1/4, B's on the same images 1/4 − 2/4, and the excess their difference
        let s = try #require(study.selfPreference.first)
        #expect(s.family == "qwen" && s.ownItems == 4 && s.otherItems == 4)
        #expect(s.gap == 0.75 - 0.25 && s.otherJudgeGap == 0.25 - 0.5 && s.excess == 0.5 - (-0.25))
        // And as these runs cover one category only (no overall), τ-b over runs says what it needs
        #expect(study.tau == nil && study.tauProblem?.contains("overall") == true)
    }
}
