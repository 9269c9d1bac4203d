import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `wise run … --judge openai` and `wise judge` against a loopback OpenAI-compatible server.
@Suite(.serialized) struct JudgeTests {
    static let key = "sk-test-0123456789abcdef"

    /// A workspace whose environment carries the API key in WISE_TEST_KEY.
    func workspace(_ label: String) throws -> Workspace {
        try Workspace(label: label, extraEnvironment: ["WISE_TEST_KEY": Self.key])
    }

    func judgeArgs(_ server: FakeJudgeServer, concurrency: Int = 32, extra: [String] = []) -> [String] {
        ["--judge", "openai", "--base-url", server.baseURL, "--model", server.configuration.model,
         "--api-key-env", "WISE_TEST_KEY", "--concurrency", "\(concurrency)", "--retry-base-delay", "0.01",
         "--timeout", "1", "--progress-interval", "0.5"] + extra
    }

    /// Checks every ok judgment of a run against the scores the server derives from the image bytes.
    func expectScoresRight(_ ws: Workspace, run name: String, scoringProtocol: ScoringProtocol) throws -> (ok: Int, unscored: Int, failed: Int) {
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = try store.judgmentRows(run: try store.requireRun(name))
        var counts = (ok: 0, unscored: 0, failed: 0)
        for row in rows {
            switch row.status {
            case .ok:
                counts.ok += 1
                let bytes = try Data(contentsOf: URL(fileURLWithPath: row.imagePath!))
                #expect(row.scores == FakeJudgeServer.expectedScores(for: bytes, scoringProtocol: scoringProtocol), "prompt \(row.promptID)")
            case .unscored:
                counts.unscored += 1
                #expect(row.rawReply?.hasPrefix("[") == true && row.error?.isEmpty == false)
            case .failed:
                counts.failed += 1
                #expect(row.error?.isEmpty == false, "a failed judgment without a reason")
            }
        }
        return counts
    }

    @Test func thousandImagesWithTwentyPercentFaults() async throws {
        // Given 1000 images, a server that faults 20% of requests at random and never reads two of them
        let ws = try workspace("faults")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...1000)
        let never = [17, 501].map { SHA256.hex(ImageFixtures.png(seed: $0)) }
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.faultRate = 0.2
        config.slowDelay = 2
        config.alwaysUnparseable = Set(never)
        let server = try FakeJudgeServer(config)
        defer { server.stop() }
        // When the folder is registered and judged with few retries
        let first = try await ws.run(["run", "m", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]
                               + judgeArgs(server, extra: ["--retries", "2"]))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(server.validationFailures.isEmpty, "\(server.validationFailures.prefix(3))")
        // Then there are 1000 judgments, each scored right or recorded unscored/failed with its reason
        let counts = try expectScoresRight(ws, run: "m", scoringProtocol: .verified)
        #expect(counts.ok + counts.unscored + counts.failed == 1000)
        #expect(counts.unscored >= 2 && counts.failed > 0, "expected some failures at 20% faults with 2 attempts: \(counts)")
        #expect(first.stdout.contains("WISE verified"))
        let failedImages = Set(try ResultsStore(path: ws.storePath, create: false).judgmentRows(run: try ResultsStore(path: ws.storePath, create: false).requireRun("m"))
            .filter { $0.status == .failed }.map { SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: $0.imagePath!))) })
        let before = server.stats.requestsByImage
        #expect(server.stats.requests >= 1000)

        // When run again against the same faulty server, with more patience
        let second = try await ws.run(["judge", "m", "--store", ws.storePath] + judgeArgs(server, extra: ["--retries", "10"]))
        #expect(second.status == 0, "\(second.stderr)")
        // Then only the failed items are asked again, and all of those get scored
        let after = server.stats.requestsByImage
        let askedAgain = Set(after.keys.filter { after[$0]! > (before[$0] ?? 0) })
        #expect(askedAgain == failedImages)
        let final = try expectScoresRight(ws, run: "m", scoringProtocol: .verified)
        #expect(final.ok == counts.ok + counts.failed && final.unscored == counts.unscored && final.failed == 0)
        // And a third pass sends nothing at all
        let sent = server.stats.requests
        let third = try await ws.run(["judge", "m", "--store", ws.storePath] + judgeArgs(server))
        #expect(third.status == 0 && server.stats.requests == sent)
        #expect(third.stderr.contains("judged 0 items"))

        // And the API key appears nowhere: not in the store, the logs or any report
        let outputs = [first, second, third].flatMap { [$0.stdout, $0.stderr] }
        for format in ["terminal", "md", "csv", "json"] {
            let report = try await ws.run(["report", "m", "--format", format, "--store", ws.storePath])
            #expect(report.status == 0)
            #expect(!report.stdout.contains(Self.key) && !report.stderr.contains(Self.key))
        }
        for text in outputs { #expect(!text.contains(Self.key)) }
        for file in try FileManager.default.contentsOfDirectory(atPath: ws.path("results").path) {
            let bytes = try Data(contentsOf: ws.path("results/\(file)"))
            #expect(bytes.range(of: Data(Self.key.utf8)) == nil, "the key is in \(file)")
        }
    }

    @Test func killedWhileJudgingThenJudgedAgain() async throws {
        // Given 150 images, 2 repeats each, a slow-ish server
        let ws = try workspace("kill-judge")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...150)
        var config = FakeJudgeServer.Configuration(scoringProtocol: .legacy)
        config.latency = 0.03
        config.faultRate = 0.05
        config.faults = [.serverError, .rateLimited, .reset]
        let server = try FakeJudgeServer(config)
        defer { server.stop() }
        #expect(try await ws.run(["run", "k", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let args = ["judge", "k", "--repeats", "2", "--store", ws.storePath] + judgeArgs(server, concurrency: 8)
        // When the judge is killed at random moments, several times, then run to the end
        var rng = SplitMix(seed: 99)
        var landed = 0
        for _ in 0..<5 {
            let target = Int(rng.next() % 280) + 1
            let process = try ws.wise.start(args)
            if try await killWhen(process, storePath: ws.storePath, { $0.judgments >= target }) { landed += 1 }
        }
        let final = try await ws.run(args)
        #expect(final.status == 0, "\(final.stderr)")
        if try expectScoresRight(ws, run: "k", scoringProtocol: .legacy).failed > 0 {
            #expect(try await ws.run(args).status == 0)
        }
        // Then: one judgment per (image, repeat), all scores right, the file sound
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.integrityCheck() == "ok")
        let rows = try store.judgmentRows(run: try store.requireRun("k"))
        #expect(rows.count == 300)
        #expect(Set(rows.map { "\($0.promptID)/\($0.repeatIndex)" }).count == 300)
        let counts = try expectScoresRight(ws, run: "k", scoringProtocol: .legacy)
        #expect(counts.ok == 300)
        #expect(landed >= 3, "only \(landed) kills landed while judging")
    }

    @Test func identicalRequestsAreAnsweredFromTheStore() async throws {
        // Given one run judged
        let ws = try workspace("cache")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...60)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        #expect(try await ws.run(["run", "a", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath] + judgeArgs(server)).status == 0)
        let sent = server.stats.requests
        #expect(sent == 60)
        // When a dry run and then a second run of the same images are made
        let dry = try await ws.run(["run", "b", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath] + judgeArgs(server, extra: ["--dry-run"]))
        #expect(dry.status == 0 && dry.stdout.hasPrefix("dry run:"))
        #expect(try ResultsStore(path: ws.storePath, create: false).run(named: "b") == nil)
        let second = try await ws.run(["run", "b", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath] + judgeArgs(server))
        // Then no request is sent and both runs score the same
        #expect(second.status == 0 && second.stderr.contains("60 answered from the store"))
        #expect(server.stats.requests == sent)
        let a = try await ReportJSON.decode(ws.run(["report", "a", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        let b = try await ReportJSON.decode(ws.run(["report", "b", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        #expect(a.categories["CULTURE"] == b.categories["CULTURE"])
        // And a dry run of a finished run says nothing would be sent
        let done = try await ws.run(["judge", "a", "--store", ws.storePath, "--dry-run"] + judgeArgs(server))
        #expect(done.stdout.hasPrefix("dry run: 0 requests would be sent"))
    }

    @Test func aSecondJudgeOnTheSameStoreIsTurnedAway() async throws {
        // Given a judge at work on a slow server
        let ws = try workspace("lock")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...40)
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.latency = 0.2
        let server = try FakeJudgeServer(config)
        defer { server.stop() }
        #expect(try await ws.run(["run", "l", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let args = ["judge", "l", "--store", ws.storePath] + judgeArgs(server, concurrency: 2)
        let first = try ws.wise.start(args)
        let working = try await onOwnThread { () -> Bool in
            let deadline = Date().addingTimeInterval(30)
            while first.isRunning && Date() < deadline {
                if let counts = ResultsStore.peekCounts(atPath: ws.storePath), counts.judgments >= 1 { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        #expect(working)
        // When a second judge starts on the same store
        let second = try await ws.run(args)
        // Then it is refused in one line and sends nothing, and the first finishes its work
        #expect(second.status == 69 && second.errorLines.count == 1 && second.stderr.contains("another wise process is judging"))
        try await onOwnThread { first.waitUntilExit() }
        #expect(first.terminationStatus == 0)
        #expect(server.stats.requests == 40)
        #expect(try ResultsStore(path: ws.storePath, create: false).judgmentRows(run: try ResultsStore(path: ws.storePath, create: false).requireRun("l")).count == 40)
    }

    @Test func aWrongKeyFailsFastAndIsNeverRecorded() async throws {
        let wrong = "sk-wrong-key-7777777777"
        let ws = try Workspace(label: "badkey", extraEnvironment: ["WISE_TEST_KEY": wrong])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...5)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .legacy))
        defer { server.stop() }
        let result = try await ws.run(["run", "w", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath] + judgeArgs(server))
        #expect(result.status == 0)
        #expect(server.stats.requests == 5, "a 401 must not be retried")
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = try store.judgmentRows(run: try store.requireRun("w"))
        #expect(rows.count == 5 && rows.allSatisfy { $0.status == .failed && $0.error!.contains("HTTP 401") })
        for text in try store.allJudgmentTexts(run: try store.requireRun("w")) { #expect(!text.contains(wrong)) }
        #expect(!result.stderr.contains(wrong) && !result.stdout.contains(wrong))
    }

    @Test func judgeOptionMistakesAreOneLine() async throws {
        let ws = try workspace("judge-usage")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...3)
        let base = ["run", "u", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath]
        let cases: [([String], String)] = [
            (["--judge", "opnai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], "unknown judge 'opnai' (did you mean 'openai'?)"),
            (["--judge", "openai", "--model", "m"], "needs --base-url URL and --model NAME"),
            (["--judge", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "NOT_SET_ANYWHERE"], "--api-key-env NOT_SET_ANYWHERE"),
            (["--judge", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--extra-body", "{not json"], "--extra-body"),
            (["--judge", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--concurrency", "0"], "--concurrency must be 1…512"),
        ]
        for (extra, phrase) in cases {
            let result = try await ws.run(base + extra)
            #expect(result.status != 0 && result.errorLines.count == 1 && result.stderr.contains(phrase), "\(extra): \(result.stderr)")
            #expect(try ws.storeDigest() == "absent")
        }
    }
}
