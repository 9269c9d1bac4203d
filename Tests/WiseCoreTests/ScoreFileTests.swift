import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct ScoreFileTests {
    let fixture: TestCatalogue
    let legacy: Catalogue
    init() throws {
        fixture = try TestCatalogue.make()
        legacy = try fixture.load(.legacy)
    }

    func write(_ lines: [String], name: String = "cultural_common_sense_scores_results.jsonl") throws -> URL {
        let url = try TempDirectory.make("scores").appendingPathComponent(name)
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    func line(_ id: Int, _ c: Any = 2.0, _ r: Any = 1.0, _ a: Any = 0.0) -> String {
        "{\"prompt_id\": \(id), \"Subcategory\": \(jsonString(legacy.prompt(id)?.subcategory ?? "x")), \"consistency\": \(c), \"realism\": \(r), \"aesthetic_quality\": \(a)}"
    }

    @Test func readsScoresAndMarks999AsFailed() throws {
        // Given two good lines and one the evaluator gave up on
        let url = try write([line(1), line(2, 999, 999, 999), line(3, 0, 2, 1)])
        // When read
        let records = try ScoreFile.read([url], scoringProtocol: .legacy, catalogue: legacy)
        // Then the scores are kept and 999 becomes a record without scores
        #expect(records.map(\.promptID) == [1, 2, 3])
        #expect(records[0].scores == AspectScores(["consistency": 2, "realism": 1, "aesthetic_quality": 0]))
        #expect(records[1].scores == nil)
        #expect(records[2].line == 3)
    }

    @Test func refusesADuplicateIdWithFileAndLine() throws {
        let url = try write([line(1), line(2), line(1)])
        #expect {
            try ScoreFile.read([url], scoringProtocol: .legacy, catalogue: legacy)
        } throws: { error in
            "\(error)" == "\(url.path):3: prompt_id 1 appears again (first at \(url.path):1); the official script would count it twice — remove one"
        }
    }

    @Test func refusesBadLinesWithFileAndLine() throws {
        let cases: [(String, String)] = [
            ("{\"prompt_id\": 5, \"consistency\": 2", "not valid JSON"),
            (line(0), "prompt_id 0 is outside 1…1000"),
            (line(1001), "prompt_id 1001 is outside 1…1000"),
            ("{\"prompt_id\": \"7\", \"consistency\": 1, \"realism\": 1, \"aesthetic_quality\": 1}", "prompt_id \"7\" is not an integer"),
            (line(8, 3.0), "consistency is 3, expected an integer 0–2"),
            (line(9, "\"2\""), "consistency is \"2\", expected a number"),
            (line(10, 1.5), "consistency is 1.5, expected an integer 0–2"),
            ("{\"prompt_id\": 11, \"score\": 1}", "no consistency score; it looks like a verified file (--protocol verified)"),
            ("[1, 2]", "expected a JSON object per line"),
        ]
        for (bad, expected) in cases {
            let url = try write([line(1), bad])
            #expect {
                try ScoreFile.read([url], scoringProtocol: .legacy, catalogue: legacy)
            } throws: { error in
                "\(error)".hasPrefix("\(url.path):2: ") && "\(error)".contains(expected)
            }
        }
    }

    @Test func subcategoryFromAnotherSetIsRefused() throws {
        // Given a line whose Subcategory belongs to the rewrite set (a mixed-up file)
        let rewrite = try fixture.load(.legacyRewrite)
        let id = try #require((1...1000).first(where: { legacy.prompt($0)!.subcategory != rewrite.prompt($0)!.subcategory }), "the catalogue has no prompt whose subcategory differs between legacy and rewrite")
        let url = try write(["{\"prompt_id\": \(id), \"Subcategory\": \(jsonString(rewrite.prompt(id)!.subcategory)), \"consistency\": 1, \"realism\": 1, \"aesthetic_quality\": 1}"])
        #expect(throws: DataError.self) { try ScoreFile.read([url], scoringProtocol: .legacy, catalogue: legacy) }
    }

    @Test func fullResultsAttachRawReplies() throws {
        let scores = try write([line(1), line(2)])
        let full = scores.deletingLastPathComponent().appendingPathComponent("cultural_common_sense_full_results.json")
        try Data(#"[{"prompt_id": 2, "evaluation": "Consistency: 2\nRealism: 1\nAesthetic Quality: 0"}]"#.utf8).write(to: full)
        let records = try ScoreFile.read([scores, full], scoringProtocol: .legacy, catalogue: legacy)
        #expect(records[0].rawReply == nil)
        #expect(records[1].rawReply == "Consistency: 2\nRealism: 1\nAesthetic Quality: 0")
    }

    @Test func exportWritesTheOfficialShapeAndReadsBack() throws {
        // Given scored items across two domains
        let items = [1, 450, 999].map { id in
            ScoreFile.ExportItem(prompt: legacy.prompt(id)!, scores: AspectScores(["consistency": 2, "realism": 0, "aesthetic_quality": 1]),
                                 rawReply: "reply \(id)\n\"quoted\"", imagePath: "/img/\(id).png")
        }
        let dir = try TempDirectory.make("export")
        // When exported and read back
        let files = try ScoreFile.export(items, scoringProtocol: .legacy, to: dir)
        #expect(files.map(\.lastPathComponent).sorted() == [
            "cultural_common_sense_full_results.json", "cultural_common_sense_scores_results.jsonl",
            "natural_science_full_results.json", "natural_science_scores_results.jsonl",
            "spatio-temporal_reasoning_full_results.json", "spatio-temporal_reasoning_scores_results.jsonl",
        ])
        let text = try String(contentsOf: dir.appendingPathComponent("cultural_common_sense_scores_results.jsonl"), encoding: .utf8)
        #expect(text == "{\"prompt_id\": 1, \"Subcategory\": \(jsonString(legacy.prompt(1)!.subcategory)), \"consistency\": 2.0, \"realism\": 0.0, \"aesthetic_quality\": 1.0}\n")
        let back = try ScoreFile.read(files, scoringProtocol: .legacy, catalogue: legacy)
        #expect(back.map(\.promptID) == [1, 450, 999])
        #expect(back.allSatisfy { $0.scores == items[0].scores && $0.rawReply == "reply \($0.promptID)\n\"quoted\"" })
    }
}
