import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// With default options, `wise judge` sends exactly the requests the official evaluators send.
///
/// The official `vllm_eval.py` and `WISE_legacy/gpt_eval.py` (from `../shared/wise/official`, run
/// with `python3`; they need `requests` and `openai==0.28.1`, which `.ci/run` installs) and `wise`
/// each judge the same 1000 images against a recording OpenAI-compatible server; every request
/// body must be equal, as a JSON value, to the official one for the same image.
@Suite(.serialized, .enabled(if: Tools.hasOfficialFiles, Comment(rawValue: Tools.Reason.officialFiles)), .enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
struct OfficialRequestTests {
    static let key = "sk-test-official-0123456789"

    struct Case: Sendable, CustomTestStringConvertible {
        var set: PromptSet
        var script: String
        var model: String
        var testDescription: String { "\(set.rawValue) through \(script)" }
    }

    /// The verified set, judged by `vllm_eval.py`, which imports `requests`.
    static let verifiedCases = [
        Case(set: .verified, script: "vllm_eval.py", model: "Qwen3.5-35B-A3B"),
    ]
    /// The legacy sets, judged by `WISE_legacy/gpt_eval.py`, which imports `openai` (the 0.28 API).
    static let legacyCases = [
        Case(set: .legacy, script: "WISE_legacy/gpt_eval.py", model: "gpt-4o-2024-05-13"),
        Case(set: .legacyRewrite, script: "WISE_legacy/gpt_eval.py", model: "gpt-4o-2024-05-13"),
    ]

    @Test(.enabled(if: Tools.hasRequestsModule, Comment(rawValue: Tools.Reason.requestsModule)), arguments: verifiedCases)
    func everyVerifiedRequestEqualsTheOfficialOne(_ c: Case) async throws {
        try await compareRequests(c)
    }

    @Test(.enabled(if: Tools.hasOpenAIModule, Comment(rawValue: Tools.Reason.openAIModule)), arguments: legacyCases)
    func everyLegacyRequestEqualsTheOfficialOne(_ c: Case) async throws {
        try await compareRequests(c)
    }

    /// Judges 1000 images with the case's official script and with `wise`, and compares every request.
    func compareRequests(_ c: Case) async throws {
        // Given 1000 images and the set's prompt files
        let ws = try Workspace(label: "official-\(c.set.rawValue)")
        let images = ws.path("img")
        try ImageFixtures.writeFolder(images, ids: 1...1000)
        let entry = try ws.catalogue.manifest.entry(for: c.set)

        // When the official script judges them, file by file, against a recording server
        let official = try recordingServer(c)
        defer { official.stop() }
        let scriptURL = TestCatalogue.officialDirectory!.appendingPathComponent("official").appendingPathComponent(c.script)
        for file in entry.files {
            let status = try await runPython([scriptURL.path, "--json_path", ws.catalogue.directory.appendingPathComponent(file.path).path,
                                              "--image_dir", images.path, "--output_dir", ws.path("official-out").path,
                                              "--api_key", Self.key, "--model", c.model,
                                              "--result_full", "\(file.domain)_full.json", "--result_scores", "\(file.domain)_scores.jsonl",
                                              "--api_base", official.baseURL, "--max_workers", "16"], log: ws.path("official-\(file.domain).log"))
            #expect(status == 0, "the official script failed on \(file.path); see \(ws.path("official-\(file.domain).log").path)")
        }
        // And wise judges them with default options against another recording server
        let ours = try recordingServer(c)
        defer { ours.stop() }
        let registered = try await ws.run(["run", "r", "--set", c.set.rawValue, "--images", images.path, "--store", ws.storePath])
        #expect(registered.status == 0, "\(registered.stderr)")
        let judge = WiseProcess(environment: ws.catalogue.environment.merging(["WISE_CACHE": ws.path("cache").path, "JUDGE_KEY": Self.key]) { $1 },
                                workingDirectory: ws.root)
        let judged = try await judge.run(["judge", "r", "--base-url", ours.baseURL, "--model", c.model, "--api-key-env", "JUDGE_KEY",
                                          "--concurrency", "16", "--store", ws.storePath])
        #expect(judged.status == 0, "\(judged.stderr)")

        // Then each image got one request from each, and the two bodies are the same JSON value
        let theirs = try bodiesByImage(official)
        let mine = try bodiesByImage(ours)
        #expect(theirs.count == 1000 && mine.count == 1000)
        var equal = 0
        for (image, body) in theirs {
            guard let other = mine[image] else { continue }
            if try CanonicalJSON.canonicalize(body) == CanonicalJSON.canonicalize(other) {
                equal += 1
            } else if equal < 3 {
                Issue.record("request for image \(image.prefix(12)) differs:\nofficial \(body.prefix(600))\nwise     \(other.prefix(600))")
            }
        }
        #expect(equal == 1000, "\(equal) of 1000 requests equal the official ones")
        // And the official request has the shape the issue names: the system message a list of one text part,
        // and for verified max_tokens 500 with thinking off
        let sample = try #require(theirs.values.first)
        let top = try #require(try JSONSerialization.jsonObject(with: Data(sample.utf8)) as? [String: Any])
        let system = try #require((top["messages"] as? [[String: Any]])?.first)
        #expect(system["role"] as? String == "system" && (system["content"] as? [[String: Any]])?.first?["type"] as? String == "text")
        #expect(top["max_tokens"] as? Int == (c.set == .verified ? 500 : 2000))
        #expect((top["chat_template_kwargs"] as? [String: Any] != nil) == (c.set == .verified))
        #expect(official.validationFailures.isEmpty && ours.validationFailures.isEmpty)
        // And the report says the request was the official one
        let report = try await ws.run(["report", "r", "--store", ws.storePath])
        #expect(report.stdout.contains("official request") && !report.stdout.contains("NOT the official request"), "\(report.stdout)")
    }

    func recordingServer(_ c: Case) throws -> FakeJudgeServer {
        var config = FakeJudgeServer.Configuration(scoringProtocol: c.set.defaultProtocol)
        config.model = c.model
        config.apiKey = Self.key
        config.keepBodies = true
        return try FakeJudgeServer(config)
    }

    /// Each logged request body by the SHA-256 of its image; a second request for one image is an error.
    func bodiesByImage(_ server: FakeJudgeServer) throws -> [String: String] {
        var out: [String: String] = [:]
        for entry in server.requestLog {
            guard let sha = entry.imageSHA256, let body = entry.body else { continue }
            #expect(out[sha] == nil, "two requests for one image")
            out[sha] = String(decoding: body, as: UTF8.self)
        }
        return out
    }

    /// Runs `python3` with arguments, its output to a log file; returns the exit status.
    func runPython(_ arguments: [String], log: URL) async throws -> Int32 {
        let (status, output) = try await ExternalProcess.run("python3", arguments, mergeStderr: true)
        try output.write(to: log)
        return status
    }
}
