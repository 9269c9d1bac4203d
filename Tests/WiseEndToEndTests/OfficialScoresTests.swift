import Foundation
import Testing
import WiseCore
import TestSupport

/// Score files in the official format, imported and reported, give the official numbers.
@Suite struct OfficialScoresTests {
    /// The official formulas, computed here from the files themselves and nothing of wise.
    struct Expected {
        var means: [String: Double?]
        var overall: Double?
    }

    func expected(_ files: [URL], _ p: ScoringProtocol, set: PromptSet) throws -> Expected {
        let ranges: [(String, ClosedRange<Int>)] = set == .verified
            ? [("CULTURE", 1...400), ("TIME", 401...520), ("SPACE", 521...640), ("BIOLOGY", 641...760), ("PHYSICS", 761...880), ("CHEMISTRY", 881...1000)]
            : [("CULTURE", 1...400), ("TIME", 401...567), ("SPACE", 568...700), ("BIOLOGY", 701...800), ("PHYSICS", 801...900), ("CHEMISTRY", 901...1000)]
        let weights = p == .legacy ? [0.4, 0.167, 0.133, 0.1, 0.1, 0.1] : [0.40, 0.12, 0.12, 0.12, 0.12, 0.12]
        struct Row: Decodable { var prompt_id: Int; var consistency: Double?; var realism: Double?; var aesthetic_quality: Double?; var score: Double? }
        var rows: [Row] = []
        for url in files {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                rows.append(try JSONDecoder().decode(Row.self, from: Data(line.utf8)))
            }
        }
        rows.sort { $0.prompt_id < $1.prompt_id }
        var sums: [String: [Double]] = [:]
        for row in rows {
            let value = p == .legacy ? (0.7 * row.consistency! + 0.2 * row.realism! + 0.1 * row.aesthetic_quality!) / 2 : row.score!
            let name = ranges.first { $0.1.contains(row.prompt_id) }!.0
            sums[name, default: []].append(value)
        }
        var means: [String: Double?] = [:]
        var overall: Double? = 0
        for (i, (name, _)) in ranges.enumerated() {
            let values = sums[name] ?? []
            let mean: Double? = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            means[name] = mean
            overall = mean.flatMap { m in overall.map { $0 + weights[i] * m } }
        }
        return Expected(means: means, overall: overall)
    }

    static let cases: [(PromptSet, ScoringProtocol, Int)] = [
        (.legacy, .legacy, 0), (.legacy, .legacy, 37), (.verified, .verified, 0), (.verified, .verified, 37),
        (.legacyRewrite, .legacy, 37),
    ]

    /// Case `caseIndex`'s official-format score files (complete, or with 37 ids missing), imported
    /// into a fresh store as run `m`, and its report as JSON and as a two-decimal table.
    struct Imported {
        var files: [URL]
        var run: ReportJSON.Run
        var markdown: String
    }

    func importAndReport(caseIndex: Int) async throws -> Imported {
        let (set, p, missingCount) = Self.cases[caseIndex]
        // Given official-format score files, complete or with 37 ids missing
        let ws = try Workspace()
        var rng = SplitMix(seed: UInt64(caseIndex) + 100)
        var leaveOut = Set<Int>()
        while leaveOut.count < missingCount { leaveOut.insert(Int(rng.next() % 1000) + 1) }
        let files = try ws.writeScoreFiles(set: set, scoringProtocol: p, leaveOut: leaveOut, seed: UInt64(caseIndex), into: "scores")
        // When imported and reported as JSON and as a two-decimal table
        let imported = try await ws.run(["import", "m", "--set", set.rawValue, "--protocol", p.rawValue, "--store", ws.storePath] + files.map(\.path))
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = try await ws.run(["report", "m", "--format", "json", "--store", ws.storePath])
        #expect(report.status == 0, "\(report.stderr)")
        let md = try await ws.run(["report", "m", "--format", "md", "--decimals", "2", "--store", ws.storePath]).stdout
        return Imported(files: files, run: try ReportJSON.decode(report.stdout).runs[0], markdown: md)
    }

    @Test(arguments: 0..<cases.count)
    func importedScoresMatchTheOfficialFormulas(caseIndex: Int) async throws {
        let (set, p, missingCount) = Self.cases[caseIndex]
        let imported = try await importAndReport(caseIndex: caseIndex)
        let run = imported.run
        // Then every category and the overall equal the formulas to 1e-12, with the gaps counted
        let want = try expected(imported.files, p, set: set)
        for (name, mean) in want.means {
            let got = run.categories[name]!
            #expect(abs(got.score! - mean!) < 1e-12, "\(name)")
        }
        #expect(abs(run.overall! - want.overall!) < 1e-12)
        #expect(run.categories.values.map(\.missing).reduce(0, +) == missingCount)
        #expect(run.scored == 1000 - missingCount)
        // And the two-decimal printout is what the official scripts print
        let order = ["CULTURE", "TIME", "SPACE", "BIOLOGY", "PHYSICS", "CHEMISTRY"]
        let cells = [String(format: "%.2f", want.overall!)] + order.map { String(format: "%.2f", want.means[$0]!!) }
        #expect(imported.markdown.contains("| m | " + cells.joined(separator: " | ") + " | \(1000 - missingCount)/1000 |"), "\(imported.markdown)")
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)), arguments: 0..<cases.count)
    func anIndependentPythonReferenceAgrees(caseIndex: Int) async throws {
        let (_, p, _) = Self.cases[caseIndex]
        let imported = try await importAndReport(caseIndex: caseIndex)
        // Then an independent Python reference of the published formulas gives the same overall and printout
        let python = try await pythonReference(p, imported.files)
        #expect(abs(imported.run.overall! - python.overall!) < 1e-12)
        #expect(imported.markdown.contains("| m | \(python.printedOverall!) | "), "\(imported.markdown)")
    }

    struct PythonResult: Decodable { var overall: Double?; var printed_overall: String?; var printedOverall: String? { printed_overall } }

    func pythonReference(_ p: ScoringProtocol, _ files: [URL]) async throws -> PythonResult {
        let script = TestCatalogue.repositoryRoot.appendingPathComponent("Tests/reference/wiscore_reference.py").path
        let (status, data) = try await ExternalProcess.run("python3", [script, p.rawValue] + files.map(\.path))
        try #require(status == 0, "the Python reference failed (exit \(status))")
        return try JSONDecoder().decode(PythonResult.self, from: data)
    }

    @Test func aDuplicateIdIsRefusedWithFileAndLineAndNothingIsKept() async throws {
        // Given a good import already in the store, and a file with one id twice
        let ws = try Workspace()
        let good = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 1, into: "good")
        try await ws.run(["import", "ok", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + good.map(\.path))
        let before = try ws.storeDigest()
        let files = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 2, into: "dup")
        var text = try String(contentsOf: files[1], encoding: .utf8)
        let first = text.split(separator: "\n")[0]
        text += first + "\n"
        try Data(text.utf8).write(to: files[1])
        // When imported
        let result = try await ws.run(["import", "dup", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + files.map(\.path))
        // Then one line names file:line, the exit is non-zero, and the store is as it was
        #expect(result.status == 65)
        #expect(result.errorLines.count == 1)
        #expect(result.stderr.contains("\(files[1].path):301: prompt_id 401 appears again (first at \(files[1].path):1)"))
        #expect(try ws.storeDigest() == before)
    }

    @Test func aMalformedLineIsRefusedAndNothingIsKept() async throws {
        let ws = try Workspace()
        let files = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 3, into: "bad")
        var lines = try String(contentsOf: files[2], encoding: .utf8).split(separator: "\n").map(String.init)
        lines[99] = "{\"prompt_id\": 740, \"score\": "
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: files[2])
        let result = try await ws.run(["import", "bad", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + files.map(\.path))
        #expect(result.status == 65)
        #expect(result.errorLines == ["wise: \(files[2].path):100: not valid JSON ({\"prompt_id\": 740, \"score\":…)"])
        #expect(try ws.storeDigest() == "absent")
    }

    @Test func exportWritesFilesThatScoreIdentically() async throws {
        // Given an import with 37 ids missing and raw replies
        let ws = try Workspace()
        let files = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: Set(stride(from: 5, to: 1000, by: 27)), seed: 9, into: "in")
        let full = ws.path("in/natural_science_full_results.json")
        try Data(#"[{"prompt_id": 701, "evaluation": "Consistency: 1\nRealism: 2\nAesthetic Quality: 2"}]"#.utf8).write(to: full)
        #expect(try await ws.run(["import", "orig", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + files.map(\.path) + [full.path]).status == 0)
        // When exported, then re-imported under another name
        let export = try await ws.run(["export", "orig", "--format", "wise-jsonl", "--out", ws.path("out").path, "--store", ws.storePath])
        #expect(export.status == 0, "\(export.stderr)")
        let exported = ["cultural_common_sense", "spatio-temporal_reasoning", "natural_science"].map { ws.path("out/\($0)_scores_results.jsonl") }
        for (a, b) in zip(files, exported) {
            // Then each scores file is line for line what the evaluator wrote
            #expect(try String(contentsOf: a, encoding: .utf8) == String(contentsOf: b, encoding: .utf8))
        }
        let fullBack = try String(contentsOf: ws.path("out/natural_science_full_results.json"), encoding: .utf8)
        #expect(fullBack.contains("\"evaluation\": \"Consistency: 1\\nRealism: 2\\nAesthetic Quality: 2\""))
        #expect(try await ws.run(["import", "again", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + exported.map(\.path)).status == 0)
        let a = try await ReportJSON.decode(ws.run(["report", "orig", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        let b = try await ReportJSON.decode(ws.run(["report", "again", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        #expect(a.overall == b.overall && a.categories == b.categories)
    }

    @Test func reimportingTheSameFilesDoesNothingNew() async throws {
        let ws = try Workspace()
        let files = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [3], seed: 4, into: "s")
        let args = ["import", "v", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + files.map(\.path)
        #expect(try await ws.run(args).status == 0)
        let digest = try ws.storeDigest()
        let again = try await ws.run(args)
        #expect(again.status == 0 && again.stderr.contains("nothing new was written"))
        #expect(try ws.storeDigest() == digest)
    }

    @Test func boardsOfDifferentSetsAreRefused() async throws {
        let ws = try Workspace()
        let l = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 5, into: "l")
        let v = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 6, into: "v")
        try await ws.run(["import", "l", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + l.map(\.path))
        try await ws.run(["import", "v", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + v.map(\.path))
        let result = try await ws.run(["report", "l", "v", "--store", ws.storePath])
        #expect(result.status == 64)
        #expect(result.errorLines.count == 1 && result.stderr.contains("set verified"))
    }
}
