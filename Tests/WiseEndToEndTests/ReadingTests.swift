import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Both readings of every reply are kept, the official one counts by default, and a judge's
/// identity does not depend on how its options are spelled.
@Suite struct ReadingTests {
    static let key = "sk-test-reading-0123456789"

    func workspace(_ label: String) throws -> Workspace {
        try Workspace(label: label, extraEnvironment: ["WISE_TEST_KEY": Self.key])
    }

    /// A verified run of 20 images and a server whose replies for some images the two readings read differently.
    func judgedSetup(_ label: String) async throws -> (Workspace, FakeJudgeServer) {
        let ws = try workspace(label)
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...20)
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.apiKey = Self.key
        for id in 1...5 { config.scriptedReplies[SHA256.hex(ImageFixtures.png(seed: id))] = "**Score:** 1" }
        for id in 6...7 { config.scriptedReplies[SHA256.hex(ImageFixtures.png(seed: id))] = "Score: 0\nOn reflection, Score: 1" }
        let server = try FakeJudgeServer(config)
        let registered = try await ws.run(["run", "r", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(registered.status == 0, "\(registered.stderr)")
        return (ws, server)
    }

    func judgeArgs(_ server: FakeJudgeServer, baseURL: String? = nil, _ extra: [String] = []) -> [String] {
        ["judge", "r", "--base-url", baseURL ?? server.baseURL, "--model", server.configuration.model, "--api-key-env", "WISE_TEST_KEY",
         "--retry-base-delay", "0.01", "--timeout", "5"] + extra
    }

    @Test func theOfficialReadingCountsAndTheStrictOneIsKeptBesideIt() async throws {
        // Given replies that the official code cannot read (ids 1–5: `**Score:** 1`) or reads as the
        // first of two scores (ids 6–7), where the strict reading reads 1
        let (ws, server) = try await judgedSetup("reading")
        defer { server.stop() }
        guard ImageFixtures.png(seed: 1) == (try Data(contentsOf: ws.path("img/1.png"))) else {
            Issue.record("the image fixtures are not seeded by prompt id"); return
        }
        // When judged with default options
        let judged = try await ws.run(judgeArgs(server))
        #expect(judged.status == 0, "\(judged.stderr)")
        // Then ids 1–5 are unscored after 3 reads each, 6–7 score 0, and the strict outcome is stored with each
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = Dictionary(uniqueKeysWithValues: try store.judgmentRows(run: try store.requireRun("r")).map { ($0.promptID, $0) })
        for id in 1...5 {
            #expect(rows[id]?.status == .unscored && rows[id]?.otherReadings["strict"]?.scores?["score"] == 1, "id \(id)")
            #expect(server.stats.requestsByImage[SHA256.hex(ImageFixtures.png(seed: id))] == 3)
        }
        for id in 6...7 {
            #expect(rows[id]?.scores?["score"] == 0 && rows[id]?.otherReadings["strict"]?.scores?["score"] == 1, "id \(id)")
        }
        for id in 8...20 { #expect(rows[id]?.otherReadings["strict"]?.scores == rows[id]?.scores, "id \(id)") }
        // And the report names the judge and counts 7 parse-sensitive items; --parse-sensitive lists them
        let report = try await ws.run(["report", "r", "--store", ws.storePath])
        #expect(report.stdout.contains("7 parse-sensitive items") && report.stdout.contains("judge openai judge-model"), "\(report.stdout)")
        #expect(report.stdout.contains("reading official · official request"))
        let listed = try await ws.run(["report", "r", "--parse-sensitive", "--store", ws.storePath])
        let lines = listed.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 7 && lines.allSatisfy { $0.contains("strict: score=1") }, "\(listed.stdout)")
        let json = try await ws.run(["report", "r", "--format", "json", "--store", ws.storePath])
        #expect(json.stdout.contains("\"parse_sensitive\": 7") && json.stdout.contains("\"official_request\": true"))

        // When judged again with the strict reading counting
        let before = server.stats.requests
        let strict = try await ws.run(judgeArgs(server, ["--reading", "strict"]))
        #expect(strict.status == 0, "\(strict.stderr)")
        // Then it is another judge (20 new requests), every item scores 1 where strict reads 1, and the report says it is not the official reading
        #expect(server.stats.requests == before + 20)
        let strictReport = try await ws.run(["report", "r", "--store", ws.storePath])
        #expect(strictReport.stdout.contains("NOT the official request: reading strict"), "\(strictReport.stdout)")
        #expect(strictReport.stdout.contains("7 parse-sensitive items"))
        #expect(strictReport.stderr.contains("run r has 2 judges"))
    }

    @Test func spellingTheSameOptionsAnotherWayIsTheSameJudge() async throws {
        // Given a run judged with default options
        let (ws, server) = try await judgedSetup("identity")
        defer { server.stop() }
        #expect(try await ws.run(judgeArgs(server)).status == 0)
        let requests = server.stats.requests
        // When judged again with the official values spelled out, JSON spaced differently, and localhost for 127.0.0.1
        let localhost = server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        for extra in [["--temperature", "0.0", "--max-tokens", "500"],
                      ["--extra-body", #"{ "chat_template_kwargs" : { "enable_thinking" : false } }"#],
                      ["--extra-body", #"{"chat_template_kwargs":{"enable_thinking":false},"temperature":0.0}"#, "--reads", "3"]] {
            for url in [server.baseURL, localhost] {
                let again = try await ws.run(judgeArgs(server, baseURL: url, extra))
                #expect(again.status == 0, "\(extra) \(url): \(again.stderr)")
            }
        }
        // Then no new request was sent
        #expect(server.stats.requests == requests)
        // When a real change is asked for, dry
        let dry = try await ws.run(judgeArgs(server, ["--max-tokens", "1000", "--dry-run"]))
        // Then it says 20 requests would be sent and why the earlier judgments are not reused
        #expect(dry.stdout.contains("dry run: 20 requests would be sent"), "\(dry.stdout)")
        #expect(dry.stdout.contains("20 judgments of this run were made by the same model under another configuration"), "\(dry.stdout)")
        #expect(dry.stdout.contains(#""max_tokens":500"#) && dry.stdout.contains(#""max_tokens":1000"#))
        #expect(dry.stdout.contains("NOT the official request: max_tokens 1000 (official 500)"))
        #expect(server.stats.requests == requests)
    }

    @Test func aTamperedEvaluatorScriptStopsTheJudgeBeforeAnyRequest() async throws {
        // Given a judged-to-be run and a copy of the catalogue whose verified evaluator has one changed byte
        let (ws, server) = try await judgedSetup("tampered")
        defer { server.stop() }
        let copy = ws.path("catalogue-copy")
        try FileManager.default.copyItem(at: ws.catalogue.directory, to: copy)
        let script = copy.appendingPathComponent("official/vllm_eval.py")
        var bytes = try Data(contentsOf: script)
        bytes[bytes.count / 2] ^= 0x20
        try FileManager.default.removeItem(at: script)
        try bytes.write(to: script)
        let before = try ws.storeDigest()
        var env = ws.catalogue.environment
        env["WISE_DATA"] = copy.path
        env["WISE_TEST_KEY"] = Self.key
        let wise = WiseProcess(environment: env, workingDirectory: ws.root)
        // When judged with the official request
        let result = try await wise.run(judgeArgs(server))
        // Then one line names the script and its checksums, nothing is sent and the store is as it was
        #expect(result.status == 65 && result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("official/vllm_eval.py") && result.stderr.contains("SHA-256 is"), "\(result.stderr)")
        #expect(server.stats.requests == 0)
        #expect(try ws.storeDigest() == before)
    }
}
