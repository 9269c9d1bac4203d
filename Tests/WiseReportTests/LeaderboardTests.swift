import Foundation
import Testing
import WiseCore
@testable import WiseReport
import TestSupport

@Suite struct LeaderboardTests {
    func summary(_ name: String, set: PromptSet = .legacy, protocol p: ScoringProtocol = .legacy, value: Double, skip: Set<Int> = []) -> RunSummary {
        let category: (Int) -> Category? = { id in
            [(400, Category.culture), (567, .time), (700, .space), (800, .biology), (900, .physics), (1000, .chemistry)].first { id <= $0.0 }?.1
        }
        var outcomes: [Int: ItemOutcome] = [:]
        for id in 1...1000 where !skip.contains(id) { outcomes[id] = .scored(id <= 400 ? value : value / 2) }
        return RunSummary(name: name, set: set, scoringProtocol: p, generator: AdapterSpec(adapter: "folder"), judge: nil,
                          score: WiScore(scoringProtocol: p, categoryOf: category, ids: Array(1...1000), outcomes: outcomes))
    }

    @Test func refusesMixedSetsAndProtocols() {
        #expect { try Leaderboard([summary("a", value: 1), summary("b", set: .verified, value: 1)]) } throws: {
            "\($0)".contains("set verified") && "\($0)".contains("different prompts")
        }
        #expect { try Leaderboard([summary("a", value: 1), summary("b", protocol: .verified, value: 1)]) } throws: {
            "\($0)".contains("different scales")
        }
    }

    @Test func ranksBestFirstAndRendersEveryFormat() throws {
        // Given two runs, one with a whole category missing
        let board = try Leaderboard([summary("weak", value: 0.5), summary("strong", value: 0.9), summary("partial", value: 1, skip: Set(401...567))])
        // Then the ranking puts runs without an overall last
        #expect(board.ranked.map(\.name) == ["strong", "weak", "partial"])
        // And Markdown holds two-decimal cells and a note on the gap
        let md = board.render(.md)
        #expect(md.contains("| strong | 0.63 | 0.90 | 0.45 |"))
        #expect(md.contains("| partial | — | 1.00 | — |"))
        #expect(md.contains("- partial: 167 of 1000 not scored (Time 167 missing); no overall: a category has no scored item"))
        // And JSON keeps full precision, null for a missing overall
        let json = try ReportJSON.decode(board.render(.json))
        #expect(json.runs.map(\.name) == ["strong", "weak", "partial"])
        #expect(json.runs[0].overall == board.ranked[0].score.overall)
        let culture = json.runs[0].categories["CULTURE"]!
        #expect(culture.score == board.ranked[0].score.categories[.culture]!.score && culture.scored == 400 && culture.missing == 0)
        #expect(json.runs[2].overall == nil)
        // And CSV has one header and one row per run
        let csv = board.render(.csv).split(separator: "\n")
        #expect(csv.count == 4 && csv[0].hasPrefix("run,set,protocol,judge,overall,culture,"))
        // And the terminal table aligns under a rule
        let terminal = board.render(.terminal, decimals: 3).split(separator: "\n")
        #expect(terminal[1].hasPrefix("Run") && terminal[2].hasPrefix("───"))
        #expect(terminal[3].hasPrefix("strong ") && terminal[3].contains("0.900"))
    }
}
