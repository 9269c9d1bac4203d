import Foundation
import WiseCore
@testable import WiseReport

/// Runs and judgments built in code for the study tests: legacy aspect triples per prompt and repeat.
enum StudyFixtures {
    /// `perCategory` legacy prompts in every category, ids from 1.
    static func prompts(perCategory: Int, set: PromptSet = .legacy) -> [Prompt] {
        Category.allCases.enumerated().flatMap { c, category in
            (0..<perCategory).map { i in
                Prompt(set: set, id: c * perCategory + i + 1, category: category, categoryLabel: category.title, subcategory: "s",
                       domain: "d", text: "prompt \(c * perCategory + i + 1)", explanation: "e")
            }
        }
    }

    /// One scored legacy judgment of (c, r, a).
    static func legacy(_ id: Int, repeat r: Int = 0, _ triple: (Int, Int, Int)) -> StudyJudgment {
        let scores = AspectScores(["consistency": Double(triple.0), "realism": Double(triple.1), "aesthetic_quality": Double(triple.2)])
        return StudyJudgment(promptID: id, repeatIndex: r, status: .ok, scores: scores, wiscore: ScoringProtocol.legacy.itemScore(scores),
                             rawReply: nil, error: nil)
    }

    /// One scored verified judgment.
    static func verified(_ id: Int, repeat r: Int = 0, _ score: Int) -> StudyJudgment {
        StudyJudgment(promptID: id, repeatIndex: r, status: .ok, scores: AspectScores(["score": Double(score)]), wiscore: Double(score),
                      rawReply: nil, error: nil)
    }

    /// A run whose items score the mean WiScore of their scored judgments.
    static func run(_ name: String, _ judgments: [StudyJudgment], prompts: [Prompt], protocol p: ScoringProtocol = .legacy,
                    set: PromptSet = .legacy, judge: String = "judge-a", family: String? = nil) -> StudyRun {
        var outcomes: [Int: ItemOutcome] = [:]
        for (id, js) in Dictionary(grouping: judgments.filter { $0.status == .ok }, by: \.promptID) {
            let values = js.compactMap(\.wiscore)
            outcomes[id] = .scored(values.reduce(0, +) / Double(values.count))
        }
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        let score = WiScore(scoringProtocol: p, categoryOf: { categoryOf[$0] }, ids: prompts.map(\.id), outcomes: outcomes)
        var parameters = ["model": judge]
        if let family { parameters["family"] = family }
        let summary = RunSummary(name: name, set: set, scoringProtocol: p, generator: AdapterSpec(adapter: "folder"),
                                 judge: AdapterSpec(adapter: "openai", parameters: parameters), score: score)
        return StudyRun(summary: summary, outcomes: outcomes, catalogueHash: "h")
    }
}
