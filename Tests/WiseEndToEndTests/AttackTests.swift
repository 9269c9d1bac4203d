import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Hostile inputs across judge replies, options, files, stores and images: each ends in a one-line
/// error or a recorded failure, never a crash, and leaves the store as it was where the command
/// should not write.
@Suite struct AttackTests {
    static let key = "sk-test-0123456789abcdef"

    /// One attack: what to set up and run, and how it must end.
    struct Attack: CustomStringConvertible, Sendable {
        var label: String
        /// The arguments after setup; the workspace holds a verified run "r" of three images.
        var arguments: @Sendable (Workspace, String) throws -> [String]
        /// When set, a fake judge answers every request this way and its URL is passed as the second argument.
        var hostile: FakeJudgeServer.Hostile? = nil
        /// The exit status expected.
        var status: Int32
        /// A phrase stderr must hold.
        var phrase: String
        /// Whether the command may write to the store (judging records failures).
        var writes = false
        var environment: [String: String] = [:]
        var description: String { label }
    }

    static func judge(_ url: String, _ extra: [String] = []) -> [String] {
        ["judge", "r", "--base-url", url, "--model", "judge-model", "--api-key-env", "WISE_TEST_KEY",
         "--retries", "2", "--retry-base-delay", "0.01", "--timeout", "5", "--parse-attempts", "1"] + extra
    }

    static func option(_ name: String, _ value: String) -> Attack {
        Attack(label: "option \(name) \(value)", arguments: { _, _ in judge("http://127.0.0.1:9/v1", ["\(name)=\(value)"]) },
               status: 64, phrase: name)
    }

    static func replyAttack(_ label: String, _ hostile: FakeJudgeServer.Hostile, status: Int32, phrase: String) -> Attack {
        Attack(label: "reply: \(label)", arguments: { _, url in judge(url) }, hostile: hostile, status: status, phrase: phrase, writes: true)
    }

    /// A PNG of the given size whose chunks are chosen by the caller.
    static func png(width: UInt32 = 2, height: UInt32 = 2, idat: Bool = true, iend: Bool = true, breakCRC: Bool = false) -> Data {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + payload
            return be32(UInt32(payload.count)) + body + be32(ImageCheck.crc32(body) ^ (breakCRC && type == "IHDR" ? 1 : 0))
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        if idat { out += chunk("IDAT", [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1]) }
        if iend { out += chunk("IEND", []) }
        return Data(out)
    }

    static func imageAttack(_ label: String, _ bytes: Data, name: String = "1.png", phrase: String) -> Attack {
        Attack(label: "image: \(label)", arguments: { ws, _ in
            let dir = ws.path("bad-\(abs(label.hashValue))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try bytes.write(to: dir.appendingPathComponent(name))
            try ImageFixtures.png(seed: 2).write(to: dir.appendingPathComponent("2.png"))
            return ["run", "x", "--set", "verified", "--strict", "--images", dir.path]
        }, status: 65, phrase: phrase)
    }

    static func file(_ ws: Workspace, _ name: String, _ bytes: Data) throws -> String {
        try bytes.write(to: ws.path(name))
        return ws.path(name).path
    }

    static let importArgs = ["import", "new", "--set", "verified", "--protocol", "verified"]

    static let attacks: [Attack] = [
        // Judge replies
        replyAttack("401 wrong key", .status(401, message: "Incorrect API key provided"), status: 77, phrase: "refused the credentials (HTTP 401"),
        replyAttack("403 forbidden", .status(403, message: "Forbidden"), status: 77, phrase: "HTTP 403"),
        replyAttack("404 unknown model", .status(404, message: "The model `judge-model` does not exist"), status: 64, phrase: "check that --model"),
        replyAttack("301 redirect", .redirect(301), status: 64, phrase: "redirected the request (HTTP 301"),
        replyAttack("302 redirect", .redirect(302), status: 64, phrase: "never replays a POST"),
        replyAttack("303 redirect", .redirect(303), status: 64, phrase: "HTTP 303"),
        replyAttack("307 redirect", .redirect(307), status: 64, phrase: "HTTP 307"),
        replyAttack("usage 2^63-1", .usage(prompt: "9223372036854775807", completion: "9223372036854775807"), status: 0, phrase: "judged 3 items"),
        replyAttack("usage 1e300", .usage(prompt: "1e300", completion: "1e300"), status: 0, phrase: "judged 3 items"),
        replyAttack("usage negative", .usage(prompt: "-5", completion: "-99999999999"), status: 0, phrase: "judged 3 items"),
        replyAttack("usage as strings", .usage(prompt: "\"12\"", completion: "null"), status: 0, phrase: "judged 3 items"),
        replyAttack("Retry-After soon", .retryAfter("soon"), status: 75, phrase: "3 × HTTP 429"),
        replyAttack("Retry-After NaN", .retryAfter("NaN"), status: 75, phrase: "HTTP 429"),
        replyAttack("Retry-After -1", .retryAfter("-1"), status: 75, phrase: "HTTP 429"),
        replyAttack("Retry-After 1e999", .retryAfter("1e999"), status: 75, phrase: "HTTP 429"),
        replyAttack("Retry-After a bad date", .retryAfter("Mon, 99 Foo 2001 99:99:99 GMT"), status: 75, phrase: "HTTP 429"),
        replyAttack("cut off in <think> at max_tokens", .content("<think>Let me consider the image carefully", finishReason: "length"), status: 0,
                    phrase: "cut off by the token limit"),
        replyAttack("an unclosed <think>", .content("<think>Score: 1 maybe", finishReason: "stop"), status: 0, phrase: "raise"),
        replyAttack("a score of NaN", .content("Score: NaN", finishReason: "stop"), status: 0, phrase: "3 unscored"),
        replyAttack("a score of 7", .content("Score: 7", finishReason: "stop"), status: 0, phrase: "3 unscored"),
        replyAttack("a 9 MB reply", .body(Data(repeating: 0x20, count: 9 << 20)), status: 75, phrase: "larger than the limit"),
        replyAttack("an empty 200", .body(Data()), status: 75, phrase: "empty response body"),
        replyAttack("HTML instead of JSON", .body(Data("<html>502 Bad Gateway</html>".utf8)), status: 75, phrase: "not JSON"),
        replyAttack("content is a number", .body(Data(#"{"choices":[{"message":{"content":12}}]}"#.utf8)), status: 75, phrase: "not text"),
        replyAttack("JSON nested 100000 deep", .body(Data(String(repeating: "[", count: 100_000).utf8)), status: 75, phrase: "failed"),
        replyAttack("invalid UTF-8", .body(Data([0x7B, 0xFF, 0xFE, 0x7D])), status: 75, phrase: "failed"),
        replyAttack("a 1 MB error message", .status(400, message: String(repeating: "x", count: 1 << 20)), status: 75, phrase: "HTTP 400"),
        // Options
        option("--timeout", "nan"), option("--timeout", "inf"), option("--timeout", "1e308"), option("--timeout", "-1"),
        option("--temperature", "nan"), option("--temperature", "-0.5"), option("--rpm", "1e-300"), option("--rpm", "inf"),
        option("--tpm", "0"), option("--retry-base-delay", "inf"), option("--max-tokens", "0"), option("--max-tokens", "99999999999999999999"),
        option("--concurrency", "100000"), option("--repeats", "-1"), option("--progress-interval", "0"), option("--price-in", "nan"),
        option("--price-out", "-1"), option("--retries", "1000000"), option("--parse-attempts", "0"),
        Attack(label: "option --ca-cert missing", arguments: { _, _ in judge("https://127.0.0.1:9/v1", ["--ca-cert", "/nonexistent/ca.pem"]) },
               status: 64, phrase: "--ca-cert /nonexistent/ca.pem is not a readable file"),
        Attack(label: "SSL_CERT_FILE missing", arguments: { _, _ in judge("https://127.0.0.1:9/v1") },
               status: 64, phrase: "SSL_CERT_FILE /nonexistent/x.pem", environment: ["SSL_CERT_FILE": "/nonexistent/x.pem"]),
        Attack(label: "option --decimals -1", arguments: { _, _ in ["report", "r", "--decimals=-1"] }, status: 64, phrase: "--decimals"),
        // Files
        Attack(label: "a 2 GB score file", arguments: { ws, _ in
            let path = ws.path("huge.jsonl").path
            FileManager.default.createFile(atPath: path, contents: nil)
            let handle = FileHandle(forWritingAtPath: path)!
            try handle.truncate(atOffset: 2 << 30)
            try handle.close()
            return importArgs + [path]
        }, status: 65, phrase: "larger than 64 MiB"),
        Attack(label: "/dev/zero as a score file", arguments: { _, _ in importArgs + ["/dev/zero"] }, status: 65, phrase: "/dev/zero"),
        Attack(label: "a score line that is not UTF-8", arguments: { ws, _ in importArgs + [try file(ws, "u.jsonl", Data([0x7B, 0xFF, 0x7D, 0x0A]))] },
               status: 65, phrase: "u.jsonl:1: not UTF-8"),
        Attack(label: "a NaN score", arguments: { ws, _ in importArgs + [try file(ws, "n.jsonl", Data(#"{"prompt_id": 1, "score": NaN}"#.utf8))] },
               status: 65, phrase: "n.jsonl:1"),
        Attack(label: "a 1e999 score", arguments: { ws, _ in importArgs + [try file(ws, "e.jsonl", Data(#"{"prompt_id": 1, "score": 1e999}"#.utf8))] },
               status: 65, phrase: "e.jsonl:1"),
        Attack(label: "a manifest domain that climbs out", arguments: { ws, _ in
            try manifest(ws, domain: "../../evil", path: "verified/x.json")
            return ["catalogue", "fetch", "--from", ws.path("nowhere").path]
        }, status: 65, phrase: "domain '../../evil' is not a plain file name", environment: ["WISE_MANIFEST": "manifest.json"]),
        Attack(label: "a manifest path that is absolute", arguments: { ws, _ in
            try manifest(ws, domain: "natural_science", path: "/etc/passwd")
            return ["catalogue", "fetch", "--from", ws.path("nowhere").path]
        }, status: 65, phrase: "path '/etc/passwd' must be a file name", environment: ["WISE_MANIFEST": "manifest.json"]),
        // Stores
        Attack(label: "report --out names the store", arguments: { ws, _ in ["report", "r", "--out", ws.storePath] }, status: 64, phrase: "is the store"),
        Attack(label: "report --out names the WAL", arguments: { ws, _ in ["report", "r", "--out", ws.storePath + "-wal"] }, status: 64, phrase: "-wal file"),
        Attack(label: "report --out names the store through a symlink", arguments: { ws, _ in
            try FileManager.default.createSymbolicLink(atPath: ws.path("link.sqlite").path, withDestinationPath: ws.storePath)
            return ["report", "r", "--out", ws.path("link.sqlite").path]
        }, status: 64, phrase: "is the store"),
        Attack(label: "report --out spelt with ..", arguments: { ws, _ in ["report", "r", "--out", ws.path("results/../results/wise.sqlite").path] },
               status: 64, phrase: "is the store"),
        Attack(label: "export over the evaluator's own files", arguments: { ws, _ in
            try FileManager.default.createDirectory(at: ws.path("Results"), withIntermediateDirectories: true)
            try Data("999 lines of the evaluator\n".utf8).write(to: ws.path("Results/natural_science_scores_results.jsonl"))
            return ["export", "imported", "--out", ws.path("Results").path]
        }, status: 73, phrase: "which wise export did not write"),
        Attack(label: "a run name that climbs out", arguments: { ws, _ in ["run", "../x", "--set", "verified", "--images", ws.path("img").path] },
               status: 64, phrase: "is not allowed"),
        Attack(label: "a run name of 101 characters", arguments: { ws, _ in ["run", String(repeating: "a", count: 101), "--set", "verified", "--images", ws.path("img").path] },
               status: 64, phrase: "is not allowed"),
        // Images
        imageAttack("8-byte PNG signature", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), phrase: "without an IHDR header"),
        imageAttack("PNG header CRC wrong", png(breakCRC: true), phrase: "wrong CRC"),
        imageAttack("PNG without IDAT", png(idat: false), phrase: "no IDAT chunk"),
        imageAttack("PNG without IEND", png(iend: false), phrase: "no IEND chunk"),
        imageAttack("PNG cut mid-chunk", png().prefix(40), phrase: "cut short"),
        imageAttack("PNG bomb 100000×100000", png(width: 100_000, height: 100_000), phrase: "over the cap"),
        imageAttack("PNG 0×0", png(width: 0, height: 0), phrase: "size 0×0"),
        imageAttack("JPEG SOI only", Data([0xFF, 0xD8, 0xFF, 0xE0]), name: "1.jpg", phrase: "without a frame header"),
        imageAttack("JPEG without EOI", ImageFixtures.jpeg(seed: 1).dropLast(2), name: "1.jpg", phrase: "no end-of-image marker"),
        imageAttack("WebP with a lying RIFF length", ImageFixtures.webp(seed: 1) + Data(count: 100), name: "1.webp", phrase: "RIFF header says"),
        imageAttack("WebP bomb 16384×16384", Data(Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0]
                                                   + [0xFF, 0x3F, 0, 0xFF, 0x3F, 0]), name: "1.webp", phrase: "over the cap"),
        imageAttack("a GIF named .png", Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), phrase: "is not a PNG, JPEG or WebP image"),
    ]

    static func manifest(_ ws: Workspace, domain: String, path: String) throws {
        var text = String(decoding: CatalogueManifest.official.jsonData(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"natural_science\"", with: jsonString(domain))
            .replacingOccurrences(of: "\"verified/natural_science_verified.json\"", with: jsonString(path))
        try Data(text.utf8).write(to: ws.path("manifest.json"))
    }

    @Test(arguments: attacks)
    func endsInOneLineOrARecordedFailure(_ attack: Attack) async throws {
        // Given a store with a judged-nothing verified run "r" of three images and an imported run
        let ws = try Workspace(label: "attack", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...3)
        let setup = try await ws.run(["run", "r", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(setup.status == 0, "\(setup.stderr)")
        let scores = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 3, into: "scores")
        #expect(try await ws.run(["import", "imported", "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + scores.map(\.path)).status == 0)
        var server: FakeJudgeServer?
        if let hostile = attack.hostile {
            var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
            config.hostile = hostile
            config.apiKey = Self.key
            server = try FakeJudgeServer(config)
        }
        defer { server?.stop() }
        let before = try ws.storeDigest()
        var arguments = try attack.arguments(ws, server?.baseURL ?? "")
        if arguments[0] != "catalogue" { arguments += ["--store", ws.storePath] }
        // When the attack runs
        let result = try await WiseProcess(environment: ws.wise.environment.merging(attack.environment) { $1 }, workingDirectory: ws.root)
            .run(arguments)
        // Then it ends as expected with the phrase, never a crash, and the key is nowhere
        #expect(result.status == attack.status, "\(attack.label): exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(attack.phrase), "\(attack.label): \(result.stderr)")
        #expect(!result.stderr.contains(String(Self.key.prefix(8))) && !result.stdout.contains(String(Self.key.prefix(8))))
        if attack.status != 0 && attack.status != 75 {
            // one error line (progress lines of a pass that was stopped may precede it)
            #expect(result.errorLines.filter { $0.hasPrefix("wise:") }.count == 1 && result.errorLines.last!.hasPrefix("wise:"), "\(attack.label): \(result.stderr)")
        }
        if attack.writes {
            let store = try ResultsStore(path: ws.storePath, access: .readOnly)
            for text in try store.allJudgmentTexts(run: try store.requireRun("r")) {
                #expect(!text.contains(String(Self.key.prefix(8))), "\(attack.label): key stored: \(text.prefix(200))")
                #expect(text.utf8.count < 64 << 10, "\(attack.label): a stored text of \(text.utf8.count) bytes")
            }
            // And every later report still works
            let report = try await ws.run(["report", "r", "--format", "json", "--store", ws.storePath])
            #expect(report.status == 0, "\(attack.label): report after: \(report.stderr)")
        } else {
            #expect(try ws.storeDigest() == before, "\(attack.label): store changed")
        }
    }
}
