import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Scores reach people rounded: no output a reader sees prints a score as `0.39999999999999997`
/// (JSON and CSV keep full precision on purpose, for programs).
@Suite struct ScorePrintingTests {
    @Test func noHumanOutputPrintsAScoreWithFloatingPointNoise() async throws {
        // Given two legacy runs of 60 images judged by a loopback judge, with item scores such as 0.39999999999999997
        let ws = try Workspace(label: "noise", extraEnvironment: ["WISE_TEST_KEY": "sk-test-0123456789abcdef"])
        try ImageFixtures.writeFolder(ws.path("img"), ids: Array(1...30) + Array(401...415) + Array(701...715))
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .legacy))
        defer { server.stop() }
        let store = ["--store", ws.storePath]
        for name in ["a", "b"] {
            #expect(try await ws.run(["run", name, "--set", "legacy", "--images", ws.path("img").path] + store).status == 0)
            let judged = try await ws.run(["judge", name, "--base-url", server.baseURL, "--model", server.configuration.model,
                                           "--api-key-env", "WISE_TEST_KEY"] + store)
            #expect(judged.status == 0, "\(judged.stderr)")
        }
        let opened = try ResultsStore(path: ws.storePath, create: false)
        let raw = try opened.judgmentRows(run: try opened.requireRun("a")).compactMap { $0.scores.flatMap(ScoringProtocol.legacy.itemScore) }
        #expect(raw.contains { "\($0)".count > 12 }, "the fixture must hold a noisy item score: \(Set(raw))")
        // When every command that prints scores for people runs, and the HTML report is written
        var outputs: [String: String] = [:]
        for command in [["report", "a", "b"], ["report", "a", "b", "--format", "md"], ["show", "a", "1"], ["show", "a", "401"],
                        ["compare", "a", "b"], ["runs"], ["failures", "a"]] {
            let result = try await ws.run(command + store)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            outputs[command.joined(separator: " ")] = result.stdout + result.stderr
        }
        #expect(try await ws.run(["report", "a", "b", "--format", "html", "--out", ws.path("html").path] + store).status == 0)
        // (the board is index.html, the cards with their data-score are on each run's page)
        let html = try ["index.html", "run-1.html", "run-2.html"].map { try String(contentsOf: ws.path("html/\($0)"), encoding: .utf8) }.joined()
        // Then no score carries floating-point noise (SVG coordinates in the HTML are not scores)
        let noise = try Regex(#"\d\.\d{12,}"#)
        for (command, text) in outputs {
            #expect(text.firstMatch(of: noise) == nil, "wise \(command): \(text)")
        }
        let scores = try Regex(#"data-score="([^"]*)""#)
        let attributes = html.matches(of: scores).compactMap { $0.output[1].substring.map(String.init) }
        #expect(!attributes.isEmpty && !attributes.contains { $0.firstMatch(of: noise) != nil },
                "\(attributes.filter { $0.count > 12 }.prefix(3))")
    }
}
