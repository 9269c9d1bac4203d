import Foundation
import Testing
import WiseCore
import WiseStats
@testable import WiseReport

/// Coverage bounds, the official scripts' verdict and the board's intervals on runs built in code.
@Suite struct UncertainBoardTests {
    /// Ten prompts per category, ids 1…60.
    let prompts: [Prompt] = Category.allCases.enumerated().flatMap { c, category in
        (1...10).map { i in
            Prompt(set: .legacy, id: c * 10 + i, category: category, categoryLabel: category.title, subcategory: "s\(i % 2)",
                   domain: "d", text: "prompt \(c * 10 + i)", explanation: "e")
        }
    }

    func run(_ name: String, judge: AdapterSpec, _ outcome: (Prompt) -> ItemOutcome) -> StudyRun {
        let outcomes = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, outcome($0)) })
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        let score = WiScore(scoringProtocol: .legacy, categoryOf: { categoryOf[$0] }, ids: prompts.map(\.id), outcomes: outcomes)
        let summary = RunSummary(name: name, set: .legacy, scoringProtocol: .legacy, generator: AdapterSpec(adapter: "import"), judge: judge, score: score)
        return StudyRun(summary: summary, outcomes: outcomes, catalogueHash: "c0ffee")
    }

    @Test func importedCultureAll999GivesNoOverallAndBounds() throws {
        // Given an imported run whose CULTURE lines all say 999 (failed) and whose other items score id/100
        let imported = AdapterSpec(adapter: "import", parameters: ["content": "x", "files": "a.jsonl"])
        let study = run("a", judge: imported) { $0.category == .culture ? .failed : .scored(Double($0.id) / 100) }
        // When its coverage is computed
        let coverage = Coverage(study, prompts: prompts)
        // Then the official script reads every line (no abort) but gives no overall, as CULTURE has no scored sample
        #expect(coverage.official.outcome == .noOverall && coverage.official.idsWithoutLine == 0 && coverage.official.lines999 == 10)
        // And the bounds put CULTURE's ten items at 0 and at 1, the others at their scores
        var worst = 0.0, best = 0.0
        for (c, category) in Category.allCases.enumerated() {
            let sum = category == .culture ? 0 : (1...10).reduce(0.0) { $0 + Double(c * 10 + $1) / 100 }
            worst += ScoringProtocol.legacy.weights[category]! * sum / 10
            best += ScoringProtocol.legacy.weights[category]! * (category == .culture ? 1 : sum / 10)
        }
        #expect(abs(coverage.overall.worst - worst) < 1e-12 && abs(coverage.overall.best - best) < 1e-12)
        #expect(coverage.overall.score == nil)

        // When it is put on a board with a complete run judged the same way (imports share one fingerprint)
        let other = AdapterSpec(adapter: "import", parameters: ["content": "y", "files": "b.jsonl"])
        let full = run("b", judge: other) { .scored(Double($0.id % 3) / 2) }
        let board = try UncertainBoard([study, full], prompts: prompts, resamples: 500, seed: 4)
        // Then the run without an overall has no overall interval and no rank, but its other categories have intervals
        let a = board.rows.first { $0.run.name == "a" }!
        #expect(a.overall == nil && a.rank == nil && a.categories[.culture] == nil && a.categories[.time] != nil)
        // And the complete run's intervals are WiseStats' bootstrap over its items
        let expected = try StratifiedBootstrap(resamples: 500, seed: 4).leaderboard(BootstrapBoard(strata: Category.allCases.map { c in
            BootstrapBoard.Stratum(name: c.rawValue, weight: ScoringProtocol.legacy.weights[c]!,
                                   scores: [prompts.filter { $0.category == c }.map { Double($0.id % 3) / 2 }])
        }))
        let b = board.rows.first { $0.run.name == "b" }!
        #expect(b.overall == expected.runs[0].overall && b.rank == 1 && b.rankInterval == 1...1)
    }

    @Test func differentJudgesAreRefusedUnlessMixedIsAllowed() throws {
        // Given two complete runs judged by different openai judges
        let j1 = AdapterSpec(adapter: "openai", parameters: ["model": "m1", "rubric_sha256": "aa", "reading": "official"])
        let j2 = AdapterSpec(adapter: "openai", parameters: ["model": "m2", "rubric_sha256": "aa", "reading": "official"])
        let a = run("a", judge: j1) { .scored(Double($0.id % 2)) }, b = run("b", judge: j2) { .scored(Double($0.id % 3) / 2) }
        // When put on one board, then it is refused, naming both fingerprints
        #expect(throws: UsageError.self) { try UncertainBoard([a, b], prompts: prompts, resamples: 10) }
        // And with allowMixed exactly one run is marked
        let board = try UncertainBoard([a, b], prompts: prompts, resamples: 10, allowMixed: true)
        #expect(board.rows.filter(\.fingerprintMixed).count == 1)
        #expect(board.renderTerminal().contains("*"))
    }
}
