import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `wise judge --on-drift stop` and `wise migrate` as a user runs them: exit statuses, one-line
/// errors on stderr, a report on stdout that is nothing but the report.
@Suite(.serialized) struct JudgeShiftCommandTests {
    func judgeArgs(_ server: FakeJudgeServer, _ extra: [String] = []) -> [String] {
        ["--base-url", server.baseURL, "--model", server.configuration.model, "--concurrency", "1",
         "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"] + extra
    }

    @Test func aServedModelChangeUnderStopExits75WithOneLineAndKeepsWhatWasJudged() async throws {
        // Given 20 registered images and a judge whose replies name another model from the 6th on
        let ws = try Workspace(label: "drift-e2e")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...20)
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.apiKey = nil
        configuration.change = FakeJudgeServer.ServedChange(after: 5, servedAs: "judge-model-v2")
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let registered = try await ws.run(["run", "m", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(registered.status == 0, "\(registered.stderr)")
        // When judged with --on-drift stop
        let result = try await ws.run(["judge", "m", "--store", ws.storePath, "--on-drift", "stop"] + judgeArgs(server))
        // Then it exits 75 with one error line naming the change, and the five earlier verdicts are kept
        #expect(result.status == 75, "\(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("wise: ") }
        #expect(errors.count == 1 && errors[0].contains("judging stopped: the served model changed") && errors[0].contains("names judge-model-v2"), "\(result.stderr)")
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = try store.judgmentRows(run: try store.requireRun("m"))
        #expect(rows.filter { $0.status == .ok }.count == 5 && rows.filter { $0.status == .failed }.count == 1)
    }

    @Test func migrateAsJSONPrintsOnlyTheReportOnStdout() async throws {
        // Given a run judged by judge A
        let ws = try Workspace(label: "migrate-e2e")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...12)
        var configurationA = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configurationA.apiKey = nil; configurationA.model = "judge-a"
        var configurationB = configurationA
        configurationB.model = "judge-b"
        let a = try FakeJudgeServer(configurationA), b = try FakeJudgeServer(configurationB)
        defer { a.stop(); b.stop() }
        let judged = try await ws.run(["run", "m", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath,
                                       "--judge", "openai"] + judgeArgs(a))
        #expect(judged.status == 0, "\(judged.stderr)")
        // When migrated to judge B as JSON
        let result = try await ws.run(["migrate", "m", "--from", "judge-a", "--store", ws.storePath, "--format", "json", "--resamples", "50"] + judgeArgs(b))
        // Then stdout is the report alone (the pass's board went to stderr), and B judged each image
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONValue.read(result.stdout)
        #expect(report["from"]?.string?.contains("judge-a") == true && report["to"]?.string?.contains("judge-b") == true)
        #expect(report["pooled"]?["paired"]?.integer == 12)
        #expect(result.stderr.contains("judged 12 items"), "\(result.stderr)")
        #expect(b.stats.requests == 12)
        // And --from naming no judge of the run is refused in one line, exit 64
        let wrong = try await ws.run(["migrate", "m", "--from", "nobody", "--store", ws.storePath] + judgeArgs(b))
        #expect(wrong.status == 64 && wrong.stderr.contains("--from nobody names no judge of run 'm'; its judges: "), "\(wrong.stderr)")
    }
}
