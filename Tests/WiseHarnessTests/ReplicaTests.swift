import Foundation
import Synchronization
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseJudges
import WiseStore

/// `--base-url` given several times: requests spread over replicas of one model, a replica lost mid-run loses nothing.
@Suite struct ReplicaTests {
    static let key = "sk-test-0123456789abcdef"

    /// A fresh store with images 1…`count` registered as run `r`.
    func registered(_ count: Int) throws -> (ResultsStore, StoredRun, TestCatalogue) {
        let given = try RegisteredRun(1...count, label: "replicas")
        return (given.store, given.run, given.fixture)
    }

    /// Judges run `r` with the openai judge over `servers`, in-process.
    func judge(_ run: StoredRun, _ store: ResultsStore, _ fixture: TestCatalogue, servers: [FakeJudgeServer]) async throws {
        var arguments = ["--model", servers[0].configuration.model, "--api-key-env", "K", "--retries", "2",
                         "--retry-base-delay", "0.01", "--timeout", "5", "--concurrency", "4", "--progress-interval", "60"]
        for server in servers { arguments += ["--base-url", server.baseURL] }
        let options = try JudgeOptions.parse(arguments)
        var environment = fixture.environment
        environment["K"] = Self.key
        let made = try options.makeJudge(scoringProtocol: .verified, environment: environment)
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: options, made: made) }
    }

    @Test func requestsSpreadOverTwoReplicasAndEachJudgmentNamesItsServer() async throws {
        // Given 30 images and two replicas of one judge model
        let (store, run, fixture) = try registered(30)
        let a = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        let b = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { a.stop(); b.stop() }
        // When judged over both
        try await judge(run, store, fixture, servers: [a, b])
        // Then every image is scored once, both servers carried a fair share, and each judgment names its server
        let rows = try store.judgmentRows(run: run)
        #expect(rows.count == 30 && rows.allSatisfy { $0.status == .ok })
        #expect(a.stats.okReplies + b.stats.okReplies == 30)
        #expect(a.stats.okReplies >= 10 && b.stats.okReplies >= 10, "a \(a.stats.okReplies), b \(b.stats.okReplies)")
        #expect(Set(rows.compactMap(\.endpoint)) == [a.chatCompletionsURL, b.chatCompletionsURL])
    }

    @Test func aReplicaKilledMidRunLosesNothing() async throws {
        // Given 40 images, two slow replicas, and one of them stopped after its fifth answer
        let (store, run, fixture) = try registered(40)
        var slow = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        slow.latency = 0.03
        let a = try FakeJudgeServer(slow)
        let b = try FakeJudgeServer(slow)
        defer { a.stop() }
        let watcher = Task {
            while b.stats.okReplies < 5 { try await Task.sleep(for: .milliseconds(5)) }
            b.stop()
        }
        // When judged over both
        try await judge(run, store, fixture, servers: [a, b])
        watcher.cancel()
        // Then every image is scored, the survivor answering the rest
        let rows = try store.judgmentRows(run: run)
        #expect(rows.count == 40 && rows.allSatisfy { $0.status == .ok }, "\(rows.filter { $0.status != .ok }.map { $0.error ?? "" })")
        #expect(b.stats.okReplies < 40 && a.stats.okReplies >= 40 - b.stats.okReplies)
    }

    @Test func replicasOfDifferentModelsStopTheRunBeforeAnythingIsJudged() async throws {
        // Given two servers, the second serving another model under its name
        let (store, run, fixture) = try registered(5)
        let a = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        var other = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        other.servedAs = "another-model"
        let b = try FakeJudgeServer(other)
        defer { a.stop(); b.stop() }
        // When judged / Then the pass stops with a usage error naming the server, and nothing is stored
        let error = await #expect(throws: OutcomeError.self) { try await judge(run, store, fixture, servers: [a, b]) }
        #expect(error?.kind == .usage && error?.message.contains("does not serve --model judge-model") == true)
        #expect(error?.message.contains(b.baseURL) == true)
        #expect(try store.judgmentRows(run: run).isEmpty)
        #expect(a.stats.okReplies == 0 && b.stats.okReplies == 0)
    }

    @Test func theSameURLTwiceIsRefused() throws {
        // Given --base-url given twice with one URL / Then the judge is refused with one line
        let options = try JudgeOptions.parse(["--base-url", "http://127.0.0.1:9/v1", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])
        #expect { try options.makeJudge(scoringProtocol: .verified, environment: try TestCatalogue.make().environment) } throws: {
            "\($0)".contains("is given twice")
        }
    }
}
