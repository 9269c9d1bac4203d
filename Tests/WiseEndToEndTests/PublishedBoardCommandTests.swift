import Foundation
import Testing
import WiseCore
import TestSupport

/// `wise audit`, `wise report --published` and `wise compare --crosswalk`, driven through the binary
/// on real stores; boards the tests check against are written here or read back by the tests.
@Suite(.serialized) struct PublishedBoardCommandTests {
    func importRun(_ ws: Workspace, _ name: String, _ set: PromptSet, seed: UInt64) async throws -> [URL] {
        let files = try ws.writeScoreFiles(set: set, scoringProtocol: set.defaultProtocol, leaveOut: [], seed: seed, into: name)
        let result = try await ws.run(["import", name, "--set", set.rawValue, "--protocol", set.defaultProtocol.rawValue, "--store", ws.storePath] + files.map(\.path))
        #expect(result.status == 0, "\(result.stderr)")
        return files
    }

    /// Item scores straight from official-format score files (WiScore, or the 0/1 score).
    func fileScores(_ files: [URL]) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for url in files {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let o = try JSONValue.read(Data(line.utf8))
                guard let id = o["prompt_id"]?.integer else { continue }
                if let score = o["score"]?.finiteNumber { out[id] = score; continue }
                let c = o["consistency"]?.finiteNumber ?? 0, r = o["realism"]?.finiteNumber ?? 0, a = o["aesthetic_quality"]?.finiteNumber ?? 0
                out[id] = (0.7 * c + 0.2 * r + 0.1 * a) / 2
            }
        }
        return out
    }

    @Test func auditOfASubmittedTableSaysWhatItFoundAndExits65() async throws {
        // Given a submitted Markdown table with one consistent row and one whose overall is off
        let ws = try Workspace(label: "audit")
        let file = ws.path("submitted.md")
        try Data("""
            | Model | Overall | CULTURE | TIME | SPACE | BIOLOGY | PHYSICS | CHEMISTRY |
            |---|---|---|---|---|---|---|---|
            | good | 0.5000 | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.0083 | 0.9917 |
            | off | 0.6000 | 0.5000 | 0.5000 | 0.2500 | 0.7500 | 0.0083 | 0.9917 |
            """.utf8).write(to: file)
        // When audited as verified
        let result = try await ws.run(["audit", file.path, "--protocol", "verified"])
        // Then the finding is on stdout with its line, and one line on stderr gives the count
        #expect(result.status == 65)
        #expect(result.stdout.contains("2 rows: 1 pass every check, 1 with 1 finding\n"))
        #expect(result.stdout.contains("  line 4  off  [overall] Overall 0.6000 is not 0.4·CULTURE"))
        #expect(result.errorLines == ["wise: the audit found 1 problem in 1 of 2 rows"])
        // And a file without a table, or no file at all, is one clear line
        try Data("no table\n".utf8).write(to: file)
        let empty = try await ws.run(["audit", file.path, "--protocol", "legacy"])
        #expect(empty.status == 65 && empty.errorLines.count == 1 && empty.stderr.contains("holds no Markdown table"))
        let missing = try await ws.run(["audit", ws.path("nope.md").path, "--protocol", "legacy"])
        #expect(missing.status == 66 && missing.errorLines.count == 1)
        // And an endless file is refused without being read whole, and random bytes are one clear line
        let endless = try await ws.run(["audit", "/dev/zero", "--protocol", "legacy"])
        #expect(endless.status != 0 && endless.errorLines.count == 1 && endless.stderr.contains("/dev/zero"), "\(endless.stderr)")
        var rng = SplitMix(seed: 4)
        try Data((0..<5000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: file)
        let noise = try await ws.run(["audit", file.path, "--protocol", "verified"])
        #expect(noise.status == 65 && noise.errorLines.count == 1, "\(noise.stderr)")
    }

    @Test(arguments: ScoringProtocol.allCases)
    func auditReadsTheOfficialBoardOfTheCatalogue(scoringProtocol: ScoringProtocol) async throws {
        // Given the catalogue's board (the official one, or the synthetic one) / When audited
        let ws = try Workspace(label: "audit-official")
        let result = try await ws.run(["audit", "--protocol", scoringProtocol.rawValue])
        // Then every row of the board, as the parser reads it, is counted
        let entry = try ws.catalogue.manifest.board(for: scoringProtocol)
        let board = try PublishedBoard.parse(Data(contentsOf: ws.catalogue.directory.appendingPathComponent(entry.path)), label: entry.path)
        #expect([0, 65].contains(result.status), "\(result.stderr)")
        #expect(result.stdout.contains("\n\(board.rows.count) rows: "))
    }

    @Test func reportPublishedShowsTheBoardAndWhereANamedRunLands() async throws {
        // Given a verified run named after the first model of the catalogue's published board
        let ws = try Workspace(label: "published")
        let entry = try ws.catalogue.manifest.board(for: .verified)
        let board = try PublishedBoard.parse(Data(contentsOf: ws.catalogue.directory.appendingPathComponent(entry.path)), label: entry.path)
        let model = try #require(board.rows.first)
        let name = PublishedBoard.normalisedModelName(model.model)
        _ = try await importRun(ws, name, .verified, seed: 3)
        // When reported with --published, and as JSON with the same bootstrap
        let text = try await ws.run(["report", name, "--published", "--resamples", "500", "--seed", "4", "--store", ws.storePath])
        let json = try await ws.run(["report", name, "--format", "json", "--resamples", "500", "--seed", "4", "--store", ws.storePath])
        #expect(text.status == 0 && json.status == 0, "\(text.stderr)\(json.stderr)")
        // Then every published row is listed, marked, and the run's difference and interval verdict follow its interval
        for row in board.rows { #expect(text.stdout.contains("\(row.model) (published)")) }
        guard case .array(let rows)? = try JSONValue.read(Data(json.stdout.utf8))["uncertainty"], let overall = rows.first?["overall"],
              let estimate = overall["estimate"]?.finiteNumber, let lower = overall["lower"]?.finiteNumber, let upper = overall["upper"]?.finiteNumber,
              let published = model.overall else {
            Issue.record("no interval in \(json.stdout.prefix(300))"); return
        }
        let difference = estimate - published.value
        let inside = published.value + published.halfUnit >= lower && published.value - published.halfUnit <= upper
        let expected = "\(name) vs published \(model.model): run − published = \(difference >= 0 ? "+" : "")\(String(format: "%.4f", difference)); the published value lies \(inside ? "inside" : "outside") the run's interval"
        #expect(text.stdout.contains(expected), "\(text.stdout)")
        // And formats that cannot carry the rows refuse the flag
        let csv = try await ws.run(["report", name, "--published", "--format", "csv", "--store", ws.storePath])
        #expect(csv.status == 64 && csv.stderr.contains("--published adds rows to terminal and md boards"))
    }

    @Test func compareAcrossProtocolsIsRefusedNaivelyAndWorksOnMatchedItems() async throws {
        // Given a legacy run and a verified run
        let ws = try Workspace(label: "crosswalk")
        let legacyScores = try fileScores(try await importRun(ws, "old", .legacy, seed: 5))
        let verifiedScores = try fileScores(try await importRun(ws, "new", .verified, seed: 6))
        let legacy = try ws.catalogue.load(.legacy), verified = try ws.catalogue.load(.verified)
        let walk = Crosswalk(legacy: legacy.prompts, verified: verified.prompts)
        // When compared item by item / Then refused with the reason and the matched count
        let naive = try await ws.run(["compare", "old", "new", "--store", ws.storePath])
        #expect(naive.status == 64 && naive.errorLines.count == 1)
        #expect(naive.stderr.contains("the same id names different prompts, and the two protocols score on different scales; add --crosswalk to compare only the \(walk.pairs.count) items matched by content"))
        // When compared through the crosswalk
        let result = try await ws.run(["compare", "old", "new", "--crosswalk", "--format", "json", "--store", ws.storePath])
        #expect(result.status == 0, "\(result.stderr)")
        let out = try JSONValue.read(Data(result.stdout.utf8))
        // Then only matched items count, each run keeps its own scoring, per category of the first run
        #expect(out["matched"]?.integer == walk.pairs.count)
        guard case .array(let categories)? = out["categories"] else { Issue.record("no categories"); return }
        for category in Category.allCases {
            let pairs = walk.pairs.filter { legacy.prompt($0.legacyID)?.category == category }
            let a = pairs.map { legacyScores[$0.legacyID] ?? .nan }.reduce(0, +) / Double(pairs.count)
            let b = pairs.map { verifiedScores[$0.verifiedID] ?? .nan }.reduce(0, +) / Double(pairs.count)
            let line = categories.first { $0["category"]?.string == category.rawValue }
            #expect(line?["matched"]?.integer == pairs.count)
            #expect(abs((line?["first"]?.finiteNumber ?? -1) - a) < 1e-12, "\(category) legacy mean")
            #expect(abs((line?["second"]?.finiteNumber ?? -1) - b) < 1e-12, "\(category) verified mean")
        }
        // And the terminal form says how many matched
        let terminal = try await ws.run(["compare", "old", "new", "--crosswalk", "--store", ws.storePath])
        #expect(terminal.stdout.contains("only the \(walk.pairs.count) items the crosswalk matches by content"))
    }

    @Test(.enabled(if: Tools.hasPython3 && Tools.hasOfficialFiles, Comment(rawValue: Tools.Reason.officialFiles + "; " + Tools.Reason.python3)),
          arguments: ScoringProtocol.allCases)
    func auditAgreesWithWhatTheOfficialScoringScriptPrints(scoringProtocol: ScoringProtocol) async throws {
        // Given score files where 23 items have no numeric score (the scripts skip them, so those
        // categories average fewer samples), summed up by the official scoring script itself
        let ws = try Workspace(label: "audit-script")
        let set: PromptSet = scoringProtocol == .verified ? .verified : .legacy
        var unscored = Set<Int>()
        var rng = SplitMix(seed: 12)
        while unscored.count < 23 { unscored.insert(Int(rng.next() % 1000) + 1) }
        let files = try ws.writeScoreFiles(set: set, scoringProtocol: scoringProtocol, leaveOut: [], seed: 8, into: "scores")
        let nulls = scoringProtocol.aspects.map { "\"\($0)\": null" }.joined(separator: ", ")
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line -> String in
                guard let id = try? JSONValue.read(Data(line.utf8))["prompt_id"]?.integer, unscored.contains(id) else { return String(line) }
                return "{\"prompt_id\": \(id), \(nulls)}"
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        }
        let script = ws.catalogue.directory.appendingPathComponent(scoringProtocol == .verified ? "official/calculate_verified.py" : "official/WISE_legacy/Calculate.py")
        let (status, output) = try await ExternalProcess.run("python3", [script.path] + files.map(\.path))
        try #require(status == 0, "the official script failed: \(String(decoding: output, as: UTF8.self).suffix(300))")
        let printed = ws.path("summary.txt")
        try output.write(to: printed)
        // When its printout is audited / Then nothing is found: its per-category sample counts and its 2-decimal rounding are taken as printed
        #expect(String(decoding: output, as: UTF8.self).contains("Number of samples: \(400 - unscored.filter { $0 <= 400 }.count)"))
        let clean = try await ws.run(["audit", printed.path, "--protocol", scoringProtocol.rawValue])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)\(String(decoding: output, as: UTF8.self).suffix(600))")
        #expect(clean.stdout.contains("1 rows: 1 pass every check, 0 with 0 findings"))
        // And an overall edited by 0.03 is found
        var text = String(decoding: output, as: UTF8.self)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("Overall WiScore:") })
        let value = try #require(Double(line.dropFirst("Overall WiScore:".count).trimmingCharacters(in: .whitespaces)))
        text = text.replacingOccurrences(of: String(line), with: "Overall WiScore: " + String(format: "%.2f", value + 0.03))
        try Data(text.utf8).write(to: printed)
        let edited = try await ws.run(["audit", printed.path, "--protocol", scoringProtocol.rawValue])
        #expect(edited.status == 65 && edited.stdout.contains("[overall]"), "\(edited.stdout)")
    }
}
