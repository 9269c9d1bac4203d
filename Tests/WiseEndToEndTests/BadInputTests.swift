import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Bad input gets one clear line, a non-zero exit, and leaves the store as it was.
@Suite struct BadInputTests {
    /// One bad invocation: how to set it up, what to run, and a phrase the message must hold.
    struct Case: CustomStringConvertible, Sendable {
        var label: String
        var arguments: @Sendable (Workspace) throws -> [String]
        var phrase: String
        var environment: [String: String] = [:]
        var description: String { label }
    }

    static func scoreFile(_ ws: Workspace, _ name: String, _ line: String) throws -> String {
        let url = ws.path(name)
        try Data((line + "\n").utf8).write(to: url)
        return url.path
    }

    static let importArgs = ["import", "new", "--set", "legacy", "--protocol", "legacy"]

    static let cases: [Case] = [
        Case(label: "score file does not exist", arguments: { importArgs + [$0.path("nope.jsonl").path] }, phrase: "nope.jsonl does not exist"),
        Case(label: "a directory instead of a score file", arguments: { ws in
            try FileManager.default.createDirectory(at: ws.path("adir.jsonl"), withIntermediateDirectories: true)
            return importArgs + [ws.path("adir.jsonl").path]
        }, phrase: "is a directory, expected a scores file"),
        Case(label: "prompt_id 0", arguments: { importArgs + [try scoreFile($0, "a.jsonl", #"{"prompt_id": 0, "consistency": 1, "realism": 1, "aesthetic_quality": 1}"#)] },
             phrase: "a.jsonl:1: prompt_id 0 is outside 1…1000"),
        Case(label: "prompt_id 1001", arguments: { importArgs + [try scoreFile($0, "b.jsonl", #"{"prompt_id": 1001, "consistency": 1, "realism": 1, "aesthetic_quality": 1}"#)] },
             phrase: "b.jsonl:1: prompt_id 1001 is outside 1…1000"),
        Case(label: "prompt_id as a string", arguments: { importArgs + [try scoreFile($0, "c.jsonl", #"{"prompt_id": "5", "consistency": 1, "realism": 1, "aesthetic_quality": 1}"#)] },
             phrase: "c.jsonl:1: prompt_id \"5\" is not an integer"),
        Case(label: "score out of range", arguments: { importArgs + [try scoreFile($0, "d.jsonl", #"{"prompt_id": 5, "consistency": 3, "realism": 1, "aesthetic_quality": 1}"#)] },
             phrase: "d.jsonl:1: consistency is 3, expected an integer 0–2"),
        Case(label: "verified file imported as legacy", arguments: { importArgs + [try scoreFile($0, "e.jsonl", #"{"prompt_id": 5, "score": 1}"#)] },
             phrase: "looks like a verified file (--protocol verified)"),
        Case(label: "a boolean score", arguments: { ["import", "new", "--set", "verified", "--protocol", "verified", try scoreFile($0, "f.jsonl", #"{"prompt_id": 5, "score": true}"#)] },
             phrase: "f.jsonl:1: score is true, expected a number"),
        Case(label: "image folder does not exist", arguments: { ["run", "new", "--set", "legacy", "--images", $0.path("no-such-folder").path] },
             phrase: "does not exist; pass the folder that holds 1.png"),
        Case(label: "a file instead of an image folder", arguments: { ws in
            try ImageFixtures.png(seed: 1).write(to: ws.path("1.png"))
            return ["run", "new", "--set", "legacy", "--images", ws.path("1.png").path]
        }, phrase: "is a file, expected the folder"),
        Case(label: "a PNG that is not a PNG, alone in its folder", arguments: { ws in
            try FileManager.default.createDirectory(at: ws.path("fake"), withIntermediateDirectories: true)
            try Data("GIF89a, not a png".utf8).write(to: ws.path("fake/1.png"))
            return ["run", "new", "--set", "legacy", "--images", ws.path("fake").path]
        }, phrase: "no usable image in"),
        Case(label: "a PNG that is not a PNG, with --strict", arguments: { ws in
            try ImageFixtures.writeFolder(ws.path("strict"), ids: 1...5)
            try Data("not a png".utf8).write(to: ws.path("strict/3.png"))
            return ["run", "new", "--set", "legacy", "--strict", "--images", ws.path("strict").path]
        }, phrase: "--strict: 996 of 1000 images are missing or unreadable, first prompt 3: 3.png is not a PNG, JPEG or WebP image; nothing was written"),
        Case(label: "a run name with spaces", arguments: { ws in
            try ImageFixtures.writeFolder(ws.path("imgs"), ids: 1...3)
            return ["run", "bad name", "--set", "legacy", "--images", ws.path("imgs").path]
        }, phrase: "run name 'bad name' is not allowed"),
        Case(label: "a misspelt set", arguments: { _ in ["catalogue", "stats", "--set", "legcy"] }, phrase: "The value 'legcy' is invalid for '--set <set>'"),
        Case(label: "prompt id 1001", arguments: { _ in ["catalogue", "show", "1001", "--set", "verified"] }, phrase: "prompt id 1001 is not in set verified"),
        Case(label: "prompt id 0", arguments: { _ in ["catalogue", "show", "0", "--set", "legacy"] }, phrase: "prompt id 0 is not in set legacy"),
        Case(label: "an unknown run", arguments: { _ in ["report", "orginal"] }, phrase: "no run named 'orginal'"),
        Case(label: "a store under a file", arguments: { ws in
            try Data("x".utf8).write(to: ws.path("plain"))
            return importArgs + ["--store", ws.path("plain/wise.sqlite").path, try scoreFile(ws, "g.jsonl", #"{"prompt_id": 5, "consistency": 1, "realism": 1, "aesthetic_quality": 1}"#)]
        }, phrase: "is a file, not a directory"),
        Case(label: "a store that is not SQLite", arguments: { ws in
            try Data("# my notes\n".utf8).write(to: ws.path("notes.md"))
            return ["report", "original", "--store", ws.path("notes.md").path]
        }, phrase: "is not a wise store"),
        Case(label: "an unwritable store path", arguments: { ws in
            importArgs + ["--store", "/proc/wise.sqlite", try scoreFile(ws, "h.jsonl", #"{"prompt_id": 5, "consistency": 1, "realism": 1, "aesthetic_quality": 1}"#)]
        }, phrase: "/proc/wise.sqlite"),
        Case(label: "a report of a store that does not exist", arguments: { ws in ["report", "original", "--store", ws.path("missing/typo.sqlite").path] },
             phrase: "no store at"),
        Case(label: "export into a file", arguments: { ws in
            try Data("x".utf8).write(to: ws.path("out.txt"))
            return ["export", "original", "--out", ws.path("out.txt").path]
        }, phrase: "--out"),
        Case(label: "an import that reuses a name with other scores", arguments: { ws in
            ["import", "original", "--set", "legacy", "--protocol", "legacy", try scoreFile(ws, "i.jsonl", #"{"prompt_id": 5, "consistency": 0, "realism": 0, "aesthetic_quality": 0}"#)]
        }, phrase: "run 'original' already exists with another configuration"),
        Case(label: "WISE_DATA that is not a folder", arguments: { _ in ["catalogue", "stats", "--set", "legacy"] },
             phrase: "WISE_DATA=/nonexistent/wise is not a directory", environment: ["WISE_DATA": "/nonexistent/wise"]),
        Case(label: "fetch from a folder that does not exist", arguments: { ws in ["catalogue", "fetch", "--from", ws.path("nowhere").path] },
             phrase: "is not a directory"),
        Case(label: "too many decimals", arguments: { _ in ["report", "original", "--decimals", "99"] }, phrase: "--decimals must be 0…15"),
        Case(label: "two runs to judge, not adaptively", arguments: { _ in ["judge", "original", "other"] }, phrase: "several runs are judged together only adaptively"),
        Case(label: "an unknown adaptive target", arguments: { _ in ["judge", "original", "--until", "narrow"] }, phrase: "--until takes separated or width=W"),
        Case(label: "separated ranks of one run", arguments: { _ in ["judge", "original", "--until", "separated"] }, phrase: "--until separated needs two runs or more"),
        Case(label: "a run twice on an adaptive board", arguments: { _ in ["judge", "original", "original", "--until", "separated"] }, phrase: "run 'original' is named twice"),
    ]

    @Test(arguments: cases)
    func oneLineNonZeroExitStoreUnchanged(_ badCase: Case) async throws {
        // Given a store holding one imported run
        let ws = try Workspace(label: "bad", extraEnvironment: badCase.environment)
        let good = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 1, into: "good")
        let setup = try await WiseProcess(environment: ws.catalogue.environment, workingDirectory: ws.root)
            .run(["import", "original", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + good.map(\.path))
        #expect(setup.status == 0, "\(setup.stderr)")
        let before = try ws.storeDigest()
        var arguments = try badCase.arguments(ws)
        let foreignFiles = try FileManager.default.contentsOfDirectory(atPath: ws.root.path).sorted()
        // When the bad command runs
        if !arguments.contains("--store") && !["catalogue"].contains(arguments[0]) { arguments += ["--store", ws.storePath] }
        let result = try await ws.run(arguments)
        // Then: non-zero exit, exactly one line on stderr that says what is wrong, nothing on stdout, store unchanged
        #expect(result.status != 0, "\(badCase.label): exit 0")
        #expect(result.errorLines.count == 1, "\(badCase.label): \(result.stderr)")
        #expect(result.stderr.contains(badCase.phrase), "\(badCase.label): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(badCase.label): \(result.stdout)")
        #expect(try ws.storeDigest() == before, "\(badCase.label): store changed")
        let after = try FileManager.default.contentsOfDirectory(atPath: ws.root.path).sorted()
        #expect(after == foreignFiles, "\(badCase.label): new files \(Set(after).subtracting(foreignFiles))")
    }
}
