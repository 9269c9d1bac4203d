import Foundation
import Testing
@testable import WiseCore
import TestSupport

/// Reading published boards: Markdown and HTML tables, numbers as printed, hostile text without traps.
@Suite struct PublishedBoardTests {
    @Test func readsAMarkdownTableWithItsDecimalsAndSamples() throws {
        // Given a Markdown board with a rank, a samples column and bold markup
        let text = """
            # A board

            | Rank | Model | Overall | CULTURE | TIME | SPACE | BIOLOGY | PHYSICS | CHEMISTRY | Samples |
            | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
            | 1 | **Model A** | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.5000 | 0.5000 | 0.5000 | 990 |
            | 2 | Model-B | n/a | 0.4 | 0.25 | 0.75 | 0.5 | 0.5 | 0.5 | 1000 |
            """
        // When parsed
        let board = try PublishedBoard.parse(Data(text.utf8), label: "board.md")
        // Then both rows are read with their printed decimals; a cell that is no number is a problem of its row
        #expect(board.rows.map(\.model) == ["Model A", "Model-B"])
        #expect(board.rows[0].line == 5 && board.rows[0].rank == 1 && board.rows[0].samples == 990)
        #expect(board.rows[0].categories[.time] == PublishedBoard.Value(value: 0.25, decimals: 4, text: "0.2500"))
        #expect(board.rows[1].overall == nil && board.rows[1].problems == ["Overall is 'n/a', not a number"])
        #expect(board.rows[1].categories[.culture]?.decimals == 1)
    }

    @Test func readsHTMLTablesWithSections() throws {
        // Given HTML tables in the legacy README's shape: a one-cell section row, a header, rows with markup
        let text = """
            <p>intro</p>
            <table>
              <thead><tr><th colspan="8">Dedicated T2I</th></tr>
              <tr><th>Model</th><th>Cultural</th><th>Time</th><th>Space</th><th>Biology</th><th>Physics</th><th>Chemistry</th><th><strong>Overall</strong></th></tr></thead>
              <tbody>
              <tr>
                <td>Model &amp; Co</td><td><strong>0.48</strong></td><td>0.58</td><td>0.62</td><td>0.42</td><td>0.51</td><td>0.35</td><td>0.50</td>
              </tr>
              </tbody>
              <thead><TR><TH colspan="8">Unify MLLM</TH></TR>
              <tr><th>Model</th><th>Cultural</th><th>Time</th><th>Space</th><th>Biology</th><th>Physics</th><th>Chemistry</th><th>Overall</th></tr></thead>
              <tbody><tr><td>Other</td><td>0.81</td><td>0.71</td><td>0.89</td><td>0.83</td><td>0.79</td><td>0.74</td><td>0.80</td></tr></tbody>
            </table>
            """
        // When parsed
        let board = try PublishedBoard.parse(Data(text.utf8), label: "README.md")
        // Then each row has its section, its line, entities decoded and markup gone
        #expect(board.rows.map(\.model) == ["Model & Co", "Other"])
        #expect(board.rows.map(\.section) == ["Dedicated T2I", "Unify MLLM"])
        #expect(board.rows[0].line == 6)
        #expect(board.rows[0].categories[.culture]?.text == "0.48" && board.rows[0].overall?.value == 0.50)
        #expect(board.rows.allSatisfy { $0.problems.isEmpty })
        #expect(board.row(named: "model-&-co")?.model == "Model & Co")
    }

    @Test func aTextWithoutATableIsRefusedInOneLine() throws {
        let error = #expect(throws: DataError.self) { try PublishedBoard.parse(Data("# nothing here\n| a | b |\n".utf8), label: "x.md") }
        #expect(error?.message.hasPrefix("board x.md holds no Markdown table with a Model column") == true)
    }

    @Test func hostileTextNeverTraps() throws {
        // Given random bytes, unclosed tags, a lone '<', huge numbers and ragged rows
        var rng = SplitMix(seed: 9)
        var samples: [Data] = [Data("<".utf8), Data("<tr><td>".utf8), Data("<table><tr><th>Model</th><th>Overall".utf8),
                               Data("| Model | Overall |\n|---|---|\n| x | 1e400 |\n| y |\n| z | 0.5 | 0.7 | 9 |\n".utf8),
                               Data("| Model | Overall |\n| x | 99999999999999999999999999 |\n".utf8),
                               Data("<table><tr><td>Model</td><td>TIME</td></tr><tr><td>a</td><td>-.</td></tr></table>".utf8)]
        for _ in 0..<200 {
            samples.append(Data((0..<Int(rng.next() % 400)).map { _ in
                let pick = rng.next() % 10
                return pick < 3 ? UInt8(ascii: "|") : pick < 5 ? UInt8(ascii: "<") : pick < 6 ? UInt8(ascii: "\n") : UInt8(truncatingIfNeeded: rng.next())
            }))
        }
        // When each is parsed / Then it yields rows or one DataError, never a trap
        for data in samples {
            do {
                let board = try PublishedBoard.parse(data, label: "hostile")
                for row in board.rows { _ = row.overall?.halfUnit }
            } catch is DataError {}
        }
        let markdown = try PublishedBoard.parse(samples[3], label: "ragged")
        #expect(markdown.rows.map(\.problems) == [["Overall is '1e400', not a number"], ["has 1 cells where the header has 2"], ["has 4 cells where the header has 2"]])
    }

    @Test func readsTheOfficialScoringScriptsPrintout() throws {
        // Given the summary Calculate.py prints: per-file blocks first, then the aggregated ones
        let text = """
            --- Processing file: a.jsonl ---
              Category: CULTURE
                Average WiScore: 0.10
            ==================================================
                             Overall Evaluation Summary
            ==================================================

            Aggregated Category Scores:
              Category: CULTURE
                Average WiScore: 0.44
                Number of samples: 398

              Category: TIME
                Average WiScore: 0.55
                Number of samples: 167

              Category: Nonsense
                Average WiScore: x

            --- Overall WiScore Across All Categories ---
            Overall WiScore: 0.50
            """
        // When parsed
        let board = try PublishedBoard.parse(Data(text.utf8), label: "summary.txt")
        // Then one row holds the aggregated averages with their sample counts; the odd block is a problem
        let row = try #require(board.rows.first)
        #expect(board.rows.count == 1 && row.model == "summary.txt" && row.line == 8)
        #expect(row.categories[.culture]?.text == "0.44" && row.categories[.time]?.value == 0.55)
        #expect(row.categorySamples == [.culture: 398, .time: 167])
        #expect(row.overall?.text == "0.50")
        #expect(row.problems == ["line 17: 'Nonsense' is not a WISE category"])
    }

    @Test func aManifestBoardOrSourcePathThatClimbsOutIsRefused() throws {
        // Given the official manifest with a board path, or a file's repository path, climbing out of the folder
        var board = CatalogueManifest.official
        board.boards?[0].path = "official/../../secret.md"
        var source = CatalogueManifest.official
        source.sets[0].files[0].source = "/etc/passwd"
        // When checked / Then each is refused, naming the path
        for (manifest, path) in [(board, "official/../../secret.md"), (source, "/etc/passwd")] {
            let error = #expect(throws: DataError.self) { try manifest.checkNames(label: "m.json") }
            #expect(error?.message == "catalogue manifest m.json: path '\(path)' must be plain names joined by '/', without '..' or a leading '/'")
        }
        #expect(throws: Never.self) { try CatalogueManifest.official.checkNames(label: "official") }
    }
}
