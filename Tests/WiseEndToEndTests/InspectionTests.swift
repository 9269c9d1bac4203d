import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Seeing the items (`show`, `failures`, `runs`), managing runs, and the safety of locks, names,
/// exports and private certificate authorities, through the `wise` binary.
@Suite struct InspectionTests {
    static let key = "sk-test-0123456789abcdef"

    func judgeArgs(_ url: String, _ extra: [String] = []) -> [String] {
        ["--base-url", url, "--model", "judge-model", "--api-key-env", "WISE_TEST_KEY", "--retries", "1", "--parse-attempts", "1"] + extra
    }

    @Test func failuresShowRunsDeleteAndRename() async throws {
        // Given a run of 5 images judged by a server that answers HTTP 500 to everything, and an imported run
        let ws = try Workspace(label: "inspect", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...5)
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.hostile = .status(500, message: "boom")
        let server = try FakeJudgeServer(config)
        defer { server.stop() }
        #expect(try await ws.run(["run", "café", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let judged = try await ws.run(["judge", "café", "--store", ws.storePath] + judgeArgs(server.baseURL))
        // Then the pass exits 75 with the reason grouped and counted
        #expect(judged.status == 75 && judged.stderr.contains("5 × HTTP 500: boom"), "\(judged.stderr)")
        let scores = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [7], seed: 3, into: "scores")
        #expect(try await ws.run(["import", "imp", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + scores.map(\.path)).status == 0)
        let before = try ws.storeDigest()
        // When failures, show and runs are asked (the run named in decomposed Unicode)
        let decomposed = "cafe\u{301}"
        let failures = try await ws.run(["failures", decomposed, "--store", ws.storePath])
        #expect(failures.status == 0 && failures.stdout.contains("5 × failed: HTTP 500: boom") && failures.stdout.contains("prompts 1–5"), "\(failures.stdout) \(failures.stderr)")
        #expect(failures.stdout.contains("missing image: no image"), "\(failures.stdout)")
        let show = try await ws.run(["show", "café", "3", "--store", ws.storePath])
        #expect(show.status == 0 && show.stdout.contains("prompt 3") && show.stdout.contains("reason: gave up after 1 attempts; last: HTTP 500: boom")
                && show.stdout.contains("3.png") && show.stdout.contains("HTTP 500"), "\(show.stdout)")
        let runs = try await ws.run(["runs", "--store", ws.storePath])
        let lines = runs.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasPrefix("run") && lines[0].contains("unscored"), "\(runs.stdout)")
        #expect(lines.contains { $0.hasPrefix("café") && $0.contains(" 5 ") && $0.contains(" 995 ") }, "\(runs.stdout)")
        #expect(lines.contains { $0.hasPrefix("imp") && $0.contains(" 999 ") }, "\(runs.stdout)")
        // And none of these readers changed the store
        #expect(try ws.storeDigest() == before)
        // When a run is renamed and another deleted
        #expect(try await ws.run(["runs", "rename", decomposed, "cafe2", "--store", ws.storePath]).status == 0)
        #expect(try await ws.run(["runs", "rename", "cafe2", "imp", "--store", ws.storePath]).status == 64)
        #expect(try await ws.run(["runs", "delete", "imp", "--store", ws.storePath]).status == 0)
        // Then only the renamed run is left, and report with no names reports it
        let report = try await ws.run(["report", "--store", ws.storePath])
        #expect(report.status == 0 && report.stdout.contains("cafe2") && !report.stdout.contains("imp"), "\(report.stdout)")
    }

    @Test func theJudgingLockHoldsThroughASymlink() async throws {
        // Given a store and a symlink to it, with the lock taken through the symlink
        let ws = try Workspace(label: "symlock", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...3)
        #expect(try await ws.run(["run", "s", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let link = ws.path("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: ws.storePath)
        let lock = try JudgeLock(storePath: link)
        // When a judge is started on the real path / Then it is turned away
        let result = try await ws.run(["judge", "s", "--store", ws.storePath] + judgeArgs("http://127.0.0.1:9/v1"))
        #expect(result.status == 69 && result.stderr.contains("another wise process is judging"), "\(result.stderr)")
        withExtendedLifetime(lock) {}
    }

    @Test func exportReplacesOnlyItsOwnFiles() async throws {
        // Given an imported run exported once into a folder
        let ws = try Workspace(label: "export")
        let scores = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 3, into: "scores")
        #expect(try await ws.run(["import", "imp", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + scores.map(\.path)).status == 0)
        let out = ws.path("exported").path
        #expect(try await ws.run(["export", "imp", "--out", out, "--store", ws.storePath]).status == 0)
        // When it is exported again / Then its own files are replaced without --force
        #expect(try await ws.run(["export", "imp", "--out", out, "--store", ws.storePath]).status == 0)
        // When the evaluator's folder holds its own file / Then it is kept unless --force
        let theirs = ws.path("scores").path
        let before = try Data(contentsOf: scores[0])
        let refused = try await ws.run(["export", "imp", "--out", theirs, "--store", ws.storePath])
        #expect(refused.status == 73 && refused.errorLines.count == 1, "\(refused.stderr)")
        #expect(try Data(contentsOf: scores[0]) == before)
        #expect(try await ws.run(["export", "imp", "--out", theirs, "--force", "--store", ws.storePath]).status == 0)
    }

    /// A loopback HTTPS judge whose certificate is its own CA; answers "Score: 1".
    func httpsJudge(_ dir: URL) async throws -> (Process, Int, String) {
        let server = try await HTTPSTestServer.start(in: dir, handler: """
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    body = json.dumps({"choices": [{"message": {"content": "Score: 1"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()
                    self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            """)
        return (server.process, server.port, server.certificate)
    }

    @Test(.enabled(if: Tools.hasOpenSSL, Comment(rawValue: Tools.Reason.openSSL)))
    func aPrivateCAIsTrustedWithCACertOrTheCurlVariables() async throws {
        // Given an HTTPS judge whose certificate a private CA signed
        let ws = try Workspace(label: "ca", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        let (server, port, ca) = try await httpsJudge(ws.root)
        defer { kill(server.processIdentifier, SIGKILL) }
        #expect(port > 0)
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...3)
        let url = "https://127.0.0.1:\(port)/v1"
        for store in ["a.sqlite", "b.sqlite", "c.sqlite", "d.sqlite"] {
            #expect(try await ws.run(["run", "t", "--set", "verified", "--images", ws.path("img").path, "--store", ws.path(store).path]).status == 0)
        }
        // When judged without trusting the CA / Then it stops at once, naming the fix
        let untrusted = try await WiseProcess(environment: ws.wise.environment.merging(["SSL_CERT_FILE": "", "CURL_CA_BUNDLE": ""]) { $1 }, workingDirectory: ws.root)
            .run(["judge", "t", "--store", ws.path("a.sqlite").path] + judgeArgs(url, ["--retries", "5"]))
        #expect(untrusted.status == 69 && untrusted.stderr.contains("--ca-cert FILE") && untrusted.stderr.contains("SSL_CERT_FILE"), "\(untrusted.stderr)")
        // When the CA is named by --ca-cert, SSL_CERT_FILE or CURL_CA_BUNDLE / Then every image is judged
        let withFlag = try await ws.run(["judge", "t", "--ca-cert", ca, "--store", ws.path("b.sqlite").path] + judgeArgs(url))
        #expect(withFlag.status == 0 && withFlag.stderr.contains("3 scored"), "\(withFlag.stderr)")
        for (variable, store) in [("SSL_CERT_FILE", "c.sqlite"), ("CURL_CA_BUNDLE", "d.sqlite")] {
            var env = ws.wise.environment
            env["SSL_CERT_FILE"] = variable == "SSL_CERT_FILE" ? ca : ""
            env["CURL_CA_BUNDLE"] = ca
            let result = try await WiseProcess(environment: env, workingDirectory: ws.root)
                .run(["judge", "t", "--store", ws.path(store).path] + judgeArgs(url))
            #expect(result.status == 0 && result.stderr.contains("3 scored"), "\(variable): \(result.stderr)")
        }
    }
}
