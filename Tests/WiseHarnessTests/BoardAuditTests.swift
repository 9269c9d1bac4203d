import Foundation
import Testing
import WiseCore
@testable import WiseHarness

/// `wise audit`'s checks on boards written here, each row built to pass or to break one check.
@Suite struct BoardAuditTests {
    let verifiedCounts: [Category: Int] = [.culture: 400, .time: 120, .space: 120, .biology: 120, .physics: 120, .chemistry: 120]
    let legacyCounts: [Category: Int] = [.culture: 400, .time: 167, .space: 133, .biology: 100, .physics: 100, .chemistry: 100]

    func markdown(_ rows: [String]) throws -> PublishedBoard {
        let text = (["| Rank | Model | Overall | CULTURE | TIME | SPACE | BIOLOGY | PHYSICS | CHEMISTRY | Samples |",
                     "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"] + rows).joined(separator: "\n")
        return try PublishedBoard.parse(Data(text.utf8), label: "test.md")
    }

    func checks(_ audit: BoardAudit, _ model: String) -> [BoardAudit.Check] {
        audit.findings.filter { $0.model == model }.map(\.check)
    }

    @Test func eachVerifiedCheckFindsWhatItIsFor() throws {
        // Given a verified board: 200/400, 60/120, 30/120, 90/120, 1/120, 119/120 weigh to exactly 0.5
        let board = try markdown([
            "|  | exact | 0.5000 | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 1000 |",
            "|  | wrong-overall | 0.5100 | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 1000 |",
            "|  | off-grid | 0.4892 | 0.5000 | 0.4100 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 1000 |",
            "|  | legacy-weights | 0.49175 | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 1000 |",
            "|  | one-unscored | 0.5005 | 0.5000 | 0.5042 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 999 |",
            "|  | all-unscored-counted | 0.5005 | 0.5000 | 0.5042 | 0.2500 | 0.7500 | 0.0083 | 0.9917 | 1000 |",
            "| 1 | hundredths | 0.5700 | 0.6500 | 0.4100 | 0.7200 | 0.3900 | 0.5900 | 0.4500 | 1000 |",
            "| 2 | ranked-too-high | 0.6000 | 0.6000 | 0.6000 | 0.6000 | 0.6000 | 0.6000 | 0.6000 | 1000 |",
        ])
        // When audited as verified
        let audit = BoardAudit(board: board, scoringProtocol: .verified, counts: verifiedCounts)
        // Then every row is judged by what it shows, nothing else
        #expect(checks(audit, "exact") == [])
        #expect(checks(audit, "wrong-overall") == [.overall])
        #expect(checks(audit, "off-grid") == [.grid])
        #expect(audit.findings.first { $0.model == "off-grid" }?.message.hasPrefix("TIME 0.4100 is not k/120 for any k (nearest 0.408333 and 0.416667)") == true)
        #expect(checks(audit, "legacy-weights") == [.mixedProtocols, .overall])
        #expect(checks(audit, "one-unscored") == [], "60/119 is reachable with one item unscored")
        #expect(checks(audit, "all-unscored-counted") == [.grid])
        #expect(Set(checks(audit, "hundredths")) == [.grid, .precision, .overall, .rank])
        #expect(audit.findings.first { $0.model == "hundredths" && $0.check == .overall }?.message.hasSuffix("read as rounded to 2 decimals it fits") == true)
        #expect(audit.findings.filter { $0.check == .rank }.map(\.model) == ["hundredths"])
        #expect(audit.render().contains("8 rows: 3 pass every check, 5 with"))
    }

    @Test func legacyRowsAreCheckedOnTheWiScoreGridWithTheirRounding() throws {
        // Given legacy-style rows with 2 decimals: one whose overall is its weighted categories,
        // one whose overall is not, and one with a value above 1
        let text = """
            <table><tr><th>Model</th><th>Cultural</th><th>Time</th><th>Space</th><th>Biology</th><th>Physics</th><th>Chemistry</th><th>Overall</th></tr>
            <tr><td>fits</td><td>0.44</td><td>0.55</td><td>0.68</td><td>0.44</td><td>0.60</td><td>0.39</td><td>0.50</td></tr>
            <tr><td>off</td><td>0.44</td><td>0.55</td><td>0.68</td><td>0.44</td><td>0.60</td><td>0.39</td><td>0.52</td></tr>
            <tr><td>above-one</td><td>1.20</td><td>0.55</td><td>0.68</td><td>0.44</td><td>0.60</td><td>0.39</td><td>0.74</td></tr>
            </table>
            """
        let board = try PublishedBoard.parse(Data(text.utf8), label: "legacy.html")
        // When audited as legacy
        let audit = BoardAudit(board: board, scoringProtocol: .legacy, counts: legacyCounts)
        // Then only the overall that is not the weighted sum, and the value above 1, are found
        #expect(checks(audit, "fits") == [])
        #expect(checks(audit, "off") == [.overall])
        #expect(checks(audit, "above-one").contains(.range))
        #expect(audit.render().contains("the board gives no sample counts"))
    }

    @Test func theGridComesFromTheProtocolsOwnItemScores() {
        #expect(BoardAudit.stepsPerItem(.legacy) == 20 && BoardAudit.stepsPerItem(.verified) == 1)
        let printed = PublishedBoard.Value(value: 0.41, decimals: 4, text: "0.4100")
        #expect(!BoardAudit.reachable(printed, items: 120, scoredAtLeast: 120, steps: 1).ok)
        #expect(BoardAudit.reachable(PublishedBoard.Value(value: 0.41, decimals: 2, text: "0.41"), items: 120, scoredAtLeast: 120, steps: 1).ok)
        #expect(BoardAudit.reachable(printed, items: 120, scoredAtLeast: 120, steps: 20).ok)
        // Absurd values and counts neither trap nor pass
        #expect(!BoardAudit.reachable(PublishedBoard.Value(value: 1e300, decimals: 0, text: "1e300"), items: 120, scoredAtLeast: -5, steps: 1).ok)
        _ = BoardAudit.reachable(printed, items: 0, scoredAtLeast: Int.min, steps: 1)
    }
}
