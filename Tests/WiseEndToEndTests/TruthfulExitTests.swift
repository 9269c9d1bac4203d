import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// The problems of issue 7 that need more than one command to show: each driven through the `wise` binary.
@Suite struct TruthfulExitTests {
    static let key = "sk-test-0123456789abcdef"

    func sha(_ path: String) -> String { SHA256.hex(FileManager.default.contents(atPath: path) ?? Data()) }

    @Test func crlfScoreFilesImportLikeLFOnes() async throws {
        // Given official score files with CRLF line endings
        let ws = try Workspace(label: "crlf")
        let files = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 5, into: "scores")
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
            try Data(text.utf8).write(to: url)
        }
        // When they are imported / Then every line is read
        let result = try await ws.run(["import", "c", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + files.map(\.path))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try await ws.run(["report", "--format", "json", "--store", ws.storePath])
        #expect(report.status == 0 && report.stdout.contains("\"scored\" : 1000") || report.stdout.contains("\"scored\": 1000"), "\(report.stdout.prefix(400))")
    }

    @Test func nothingListeningTripsTheCircuitBreaker() async throws {
        // Given 40 images and a base URL where nothing listens
        let ws = try Workspace(label: "breaker", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...40)
        #expect(try await ws.run(["run", "b", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        // When it is judged with many retries
        let start = Date()
        let result = try await ws.run(["judge", "b", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--retries", "20",
                                       "--concurrency", "8", "--store", ws.storePath])
        // Then it stops within seconds with exit 69 and says why
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("cannot reach the judge") && result.stderr.contains("start the server or fix --base-url"), "\(result.stderr)")
        // (seconds, not the hours of backoff 20 retries of 40 items would take; generous for a loaded machine)
        #expect(Date().timeIntervalSince(start) < 300)
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func readersLeaveForeignAndNewerStoresUntouched() async throws {
        // Given another program's SQLite file, and a wise store marked with a schema from the future
        let ws = try Workspace(label: "foreign")
        let foreign = ws.path("other.sqlite").path
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table notes(x)'); c.execute(\"insert into notes values ('mine')\"); c.commit()", foreign]
        try make.run(); make.waitUntilExit()
        let files = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 5, into: "scores")
        #expect(try await ws.run(["import", "c", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + files.map(\.path)).status == 0)
        let before = sha(foreign)
        // When readers and writers are pointed at the foreign file / Then it is refused byte for byte untouched, with no WAL made
        for args in [["report"], ["runs"], ["import", "d", "--set", "verified", "--protocol", "verified"] + files.map(\.path)] {
            let result = try await ws.run(args + ["--store", foreign])
            #expect(result.status == 65 && result.stderr.contains("not a wise store"), "\(args): \(result.stderr)")
        }
        #expect(sha(foreign) == before && !FileManager.default.fileExists(atPath: foreign + "-wal"))
        // And a store from a newer wise is refused naming both versions
        let store = try ResultsStore(path: ws.storePath, create: false)
        _ = store
        let mark = Process()
        mark.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mark.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"insert into grdb_migrations values ('v99-future')\"); c.commit()", ws.storePath]
        try mark.run(); mark.waitUntilExit()
        let newer = sha(ws.storePath)
        let result = try await ws.run(["report", "--store", ws.storePath])
        #expect(result.status == 65 && result.stderr.contains("v99-future") && result.stderr.contains(ResultsStore.schemaVersion), "\(result.stderr)")
        #expect(sha(ws.storePath) == newer)
    }

    @Test func sigtermStopsCommitsAndSaysWhatIsLeft() async throws {
        // Given 200 images and a slow judge
        let ws = try Workspace(label: "sigterm", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...200)
        #expect(try await ws.run(["run", "s", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.latency = 1
        let server = try FakeJudgeServer(config)
        defer { server.stop() }
        let err = Pipe()
        let process = try ws.wise.start(["judge", "s", "--base-url", server.baseURL, "--model", "judge-model", "--api-key-env", "WISE_TEST_KEY",
                                         "--concurrency", "4", "--store", ws.storePath], stderr: err.fileHandleForWriting)
        try err.fileHandleForWriting.close()
        // When SIGTERM arrives mid-pass: once the judge has seen a few requests, so the pass is surely under way
        // (sent by the watching thread itself: on a saturated test process, getting back onto a cooperative
        // thread to send it can take longer than the whole 50 s pass, and the signal would come after the end)
        let requestsWhenSignalled = try await onOwnThread { () -> Int? in
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning, server.stats.requests < 4 { Thread.sleep(forTimeInterval: 0.01) }
            guard process.isRunning else { return nil }
            kill(process.processIdentifier, SIGTERM)
            return server.stats.requests
        }
        try #require(requestsWhenSignalled != nil, "wise ended before SIGTERM could be sent")
        let stderr = try await onOwnThread { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        try await onOwnThread { process.waitUntilExit() }
        // Then it exits 130 saying what is done and left, and a re-run finishes the rest
        #expect(process.terminationStatus == 130, "SIGTERM sent after \(requestsWhenSignalled!) of 200 requests: \(stderr)")
        #expect(stderr.contains("interrupted: ") && stderr.contains("left; run again to resume"), "\(stderr)")
        let again = try await ws.run(["judge", "s", "--base-url", server.baseURL, "--model", "judge-model", "--api-key-env", "WISE_TEST_KEY",
                                      "--concurrency", "64", "--store", ws.storePath])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(server.stats.requests <= 200 + 8)
    }
}
