import Foundation
import Testing
import WiseCore
import TestSupport
@testable import WiseGenerators

/// A temp folder laid out like a run: `out/` (the run's output folder, already holding prompt 8's
/// image) and `elsewhere/` (outside it), with a python3 worker whose every answer is given by the test.
struct HostileSandbox {
    let root: URL
    let out: URL
    let elsewhere: URL
    /// Prompt 8's image, made before the worker starts; no worker may change it.
    let other: URL
    let otherBytes = ImageFixtures.png(seed: 8)
    /// The PNG a worker writes when it writes one.
    let fixture: URL

    init() throws {
        root = try TempDirectory.make("hostile")
        out = root.appendingPathComponent("out")
        elsewhere = root.appendingPathComponent("elsewhere")
        for dir in [out, elsewhere] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        other = out.appendingPathComponent("8.png")
        try otherBytes.write(to: other)
        fixture = root.appendingPathComponent("fixture.png")
        try ImageFixtures.png(seed: 7).write(to: fixture)
    }

    /// The item for a prompt, its output in `out/`.
    func item(_ id: Int) -> GenerationItem {
        let prompt = Prompt(set: .legacy, id: id, category: .culture, categoryLabel: "c", subcategory: "s", domain: "d",
                            text: "prompt \(id)", explanation: "e")
        return GenerationItem(prompt: prompt, sampleIndex: 0, seed: id, output: out.appendingPathComponent("\(id).png").path,
                              settings: GenerationSettings())
    }

    /// A worker that prints `ready` (a raw line) and then, for each request, runs `answer`: Python
    /// with `req`, `rid`, `out` (the output asked for), `OTHER`, `ELSEWHERE`, `write(path)`,
    /// `say(obj)` and `say_bytes(b)` in scope.
    func worker(ready: String = #"{"ready": true, "protocol": 1, "worker": "hostile"}"#, answer: String) throws -> WorkerGenerator {
        let script = """
            import json, os, sys
            FIXTURE, OTHER, ELSEWHERE = sys.argv[1], sys.argv[2], sys.argv[3]
            def write(path):
                with open(path, "wb") as f:
                    f.write(open(FIXTURE, "rb").read())
            def say(obj):
                sys.stdout.write(json.dumps(obj) + "\\n")
                sys.stdout.flush()
            def say_bytes(b):
                sys.stdout.flush()
                sys.stdout.buffer.write(b)
                sys.stdout.buffer.flush()
            say_bytes((\(pythonString(ready)) + "\\n").encode())
            for line in sys.stdin:
                req = json.loads(line)
                rid, out = req["id"], req["output"]

            """ + answer.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
        let url = root.appendingPathComponent("worker-\(UUID().uuidString.prefix(6)).py")
        try Data(script.utf8).write(to: url)
        var configuration = WorkerConfiguration(argv: ["python3", url.path, fixture.path, other.path, elsewhere.path])
        configuration.timeout = 20
        configuration.startTimeout = 20
        return try WorkerGenerator(configuration)
    }

    /// Every file and link under the root outside `out/`, by relative path (links as `-> target`).
    func outside() -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let relative = enumerator?.nextObject() as? String {
            guard !relative.hasPrefix("out") else { continue }
            let path = root.appendingPathComponent(relative).path
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                files[relative] = Data("-> \(target)".utf8)
            } else if let data = FileManager.default.contents(atPath: path) {
                files[relative] = data
            }
        }
        return files
    }

    /// Generates prompt 7 and returns the failure's reason; records an issue when it succeeds or fails otherwise.
    /// Then checks that prompt 8's image is untouched and nothing outside `out/` changed but `written`.
    func failure(_ generator: WorkerGenerator, written: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let before = outside()
        try await generator.start()
        var reason = ""
        do {
            let image = try await generator.generate(item(7))
            Issue.record("the hostile reply was accepted: \(image.path)", sourceLocation: sourceLocation)
        } catch let failure as GenerationFailure {
            reason = failure.reason
        }
        await generator.finish(grace: 2)
        expectUntouched(before: before, written: written, sourceLocation: sourceLocation)
        return reason
    }

    /// Prompt 8's image has its bytes, and outside `out/` only the files in `written` appeared.
    func expectUntouched(before: [String: Data], written: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(FileManager.default.contents(atPath: other.path) == otherBytes, "prompt 8's image changed", sourceLocation: sourceLocation)
        var after = outside()
        for path in written { after.removeValue(forKey: path) }
        #expect(after.filter { !$0.key.hasPrefix("worker-") } == before.filter { !$0.key.hasPrefix("worker-") },
                "something outside the output folder changed", sourceLocation: sourceLocation)
    }

    /// The reason `start()` gives for refusing the worker.
    func startRefusal(_ generator: WorkerGenerator) async -> String {
        do {
            try await generator.start()
            Issue.record("the worker was accepted at start")
        } catch {
            await generator.finish(grace: 2)
            return "\(error)"
        }
        await generator.finish(grace: 2)
        return ""
    }
}

/// A Python string literal for `text`.
private func pythonString(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// Workers that answer with paths, links, timings and lines they should not: each is one item's
/// failure (or a refusal at start) with a reason, never a trap, never an image recorded, and
/// nothing outside the output folder touched by wise.
@Suite struct HostileWorkerTests {
    static let ok = #"say({"id": rid, "status": "ok", "path": out, "seconds": 0.5})"#

    @Test func anHonestWorkerStillPasses() async throws {
        // Given a worker that writes the output asked for and says so / Then the image is accepted with its timing
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\n" + Self.ok)
        try await generator.start()
        let image = try await generator.generate(box.item(7))
        await generator.finish(grace: 2)
        #expect(image.path == box.item(7).output && image.seconds == 0.5 && image.sha256 == SHA256.hex(ImageFixtures.png(seed: 7)))
    }

    /// Fills `{other}`, `{elsewhere}` and `{out}` in a phrase with the sandbox's paths.
    static func paths(_ phrase: String, _ box: HostileSandbox) -> String {
        phrase.replacingOccurrences(of: "{other}", with: box.other.path).replacingOccurrences(of: "{elsewhere}", with: box.elsewhere.path)
            .replacingOccurrences(of: "{out}", with: box.out.path)
    }

    @Test(arguments: [
        // prompt 8's image
        (#"say({"id": rid, "status": "ok", "path": OTHER})"#, "", "answered prompt 7 with {other}, not the output it was asked to write ({out}/7.png)"),
        // an image the worker wrote outside the output folder
        ("write(os.path.join(ELSEWHERE, '7.png'))\nsay({'id': rid, 'status': 'ok', 'path': os.path.join(ELSEWHERE, '7.png')})",
         "elsewhere/7.png", "answered prompt 7 with {elsewhere}/7.png, not the output"),
        // a path that starts in the output folder and climbs out of it with `..`
        ("write(out)\nwrite(os.path.join(ELSEWHERE, '7.png'))\nsay({'id': rid, 'status': 'ok', 'path': os.path.join(os.path.dirname(out), '..', 'elsewhere', '7.png')})",
         "elsewhere/7.png", "answered prompt 7 with {out}/../elsewhere/7.png, not the output"),
    ])
    func aReplyNamingAnotherPathFails(_ answer: String, _ written: String, _ phrase: String) async throws {
        // Given a worker that names a file other than the output it was asked to write
        let box = try HostileSandbox()
        let generator = try box.worker(answer: answer)
        // Then prompt 7 fails naming both paths; prompt 8's image and everything outside the folder but the worker's own file are untouched
        let reason = try await box.failure(generator, written: written.isEmpty ? [] : [written])
        #expect(reason.contains(Self.paths(phrase, box)), "\(reason)")
        #expect(answer.hasPrefix("write(out)") || !FileManager.default.fileExists(atPath: box.item(7).output))
    }

    @Test(arguments: [
        // a symbolic link to prompt 8's image
        ("os.symlink(OTHER, out)", "", "{out}/7.png is a symbolic link to {other}, not an image file"),
        // a symbolic link out of the output folder
        ("write(os.path.join(ELSEWHERE, 'x.png'))\nos.symlink(os.path.join(ELSEWHERE, 'x.png'), out)", "elsewhere/x.png",
         "is a symbolic link to {elsewhere}/x.png"),
        // a hard link to prompt 8's image
        ("os.link(OTHER, out)", "", "{out}/7.png has 2 hard links, so it may be another prompt's image"),
        ("os.mkdir(out)", "", "{out}/7.png is a directory, not an image file"),
    ])
    func anOutputThatIsNotTheWorkersOwnFileFails(_ making: String, _ written: String, _ phrase: String) async throws {
        // Given a worker that leaves a link or a folder at the output and names the output
        let box = try HostileSandbox()
        let generator = try box.worker(answer: making + "\n" + Self.ok)
        // Then the item fails saying what is there, and prompt 8's image is unchanged
        let reason = try await box.failure(generator, written: written.isEmpty ? [] : [written])
        #expect(reason.contains(Self.paths(phrase, box)), "\(reason)")
    }

    @Test func twoPromptsAnsweredWithOneFileFailTheSecond() async throws {
        // Given a worker that writes prompt 5's image and answers prompt 6 with that same file
        let box = try HostileSandbox()
        let generator = try box.worker(answer: """
            if req["prompt_id"] == 5:
                write(out)
                say({"id": rid, "status": "ok", "path": out})
            else:
                say({"id": rid, "status": "ok", "path": out.replace("6.png", "5.png")})
            """)
        try await generator.start()
        let first = try await generator.generate(box.item(5))
        let before = try Data(contentsOf: URL(fileURLWithPath: first.path))
        // When both are asked for / Then prompt 5 has its image, prompt 6 fails, and prompt 5's file is unchanged
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator.generate(box.item(6)) }
        await generator.finish(grace: 2)
        #expect(error?.reason.contains("answered prompt 6 with \(box.out.path)/5.png, not the output it was asked to write") == true, "\(String(describing: error))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.path)) == before && !FileManager.default.fileExists(atPath: box.item(6).output))
    }

    @Test(arguments: [("-1", "reported -1.0 seconds"), ("1e300", "reported 1e+300 seconds"), ("86400", "reported 86400.0 seconds")])
    func secondsOutsideASaneRangeFailTheItem(_ seconds: String, _ phrase: String) async throws {
        // Given a worker that writes a good image but reports an impossible duration (the timeout is 20 s)
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay_bytes(('{\"id\": \"%s\", \"status\": \"ok\", \"seconds\": \(seconds)}\\n' % rid).encode())")
        // Then the item fails saying what was reported and what is allowed
        let reason = try await box.failure(generator)
        #expect(reason.contains(phrase) && reason.contains("outside 0…20 (the timeout)"), "\(reason)")
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity"])
    func nonFiniteSecondsAreNotJSONAndFailTheItem(_ token: String) async throws {
        // Given a worker whose Python json writes a non-finite float (which is not JSON)
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay({\"id\": rid, \"status\": \"ok\", \"seconds\": float(\"\(token == "NaN" ? "nan" : token == "Infinity" ? "inf" : "-inf")\")})")
        // Then the line is refused as not a protocol reply (twice: once more after a restart), naming the token
        let reason = try await box.failure(generator)
        #expect(reason.contains("printed a line that is not a protocol reply") && reason.contains("\"seconds\": \(token)") && reason.contains("twice"), "\(reason)")
    }

    @Test func secondsBeyondAnyDoubleAreRefused() async throws {
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay_bytes(('{\"id\": \"%s\", \"status\": \"ok\", \"seconds\": 1e999}\\n' % rid).encode())")
        let reason = try await box.failure(generator)
        #expect(reason.contains("not a protocol reply (a value that cannot be read (a number out of range"), "\(reason)")
    }

    @Test(arguments: [(#"{"ready": true, "protocol": 2}"#, "announced worker protocol 2, but this wise speaks protocol 1"),
                      (#"{"ready": true, "protocol": "1"}"#, #"announced worker protocol "1", but this wise speaks protocol 1"#),
                      (#"{"ready": true, "protocol": 1.5}"#, "announced worker protocol 1.5, but this wise speaks protocol 1"),
                      (#"{"ready": true, "protocol": 1, "gpu_count": 8}"#, #"ready line with the unknown field "gpu_count""#),
                      (#"{"ready": true, "protocol": 1, "model": 7}"#, "ready line whose model is 7, expected a string"),
                      (#"{"ready": true, "protocol": 1, "metadata": [1]}"#, "ready line whose metadata is an array, expected an object")])
    func aReadyLineWiseCannotTrustIsRefusedAtStart(_ ready: String, _ phrase: String) async throws {
        // Given a worker whose ready line announces another protocol or is malformed
        let box = try HostileSandbox()
        let generator = try box.worker(ready: ready, answer: "write(out)\n" + Self.ok)
        // Then start fails with one message naming the problem (both versions for a version), as a usage error
        let refusal = await box.startRefusal(generator)
        #expect(refusal.contains(phrase) && refusal.hasPrefix("worker 0: worker command `python3 "), "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: box.item(7).output))
    }

    @Test func aHugeLineKillsTheWorkerAndFailsTheItem() async throws {
        // Given a worker that prints 2 MiB on one line
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay_bytes(b'{\"id\": \"' + rid.encode() + b'\", \"x\": \"' + b'a' * (2 << 20) + b'\"}\\n')")
        let reason = try await box.failure(generator)
        #expect(reason.contains("printed a line longer than 1 MiB on stdout without ending it") && reason.contains("twice"), "\(reason)")
    }

    @Test func invalidUTF8FailsTheItem() async throws {
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay_bytes(b'{\"id\": \"' + rid.encode() + b'\", \"status\": \"ok\", \"path\": \"\\xff\\xfe\"}\\n')")
        let reason = try await box.failure(generator)
        #expect(reason.contains("printed a line that is not UTF-8 text") && reason.contains("twice"), "\(reason)")
    }

    @Test(arguments: [40, 100_000])
    func deeplyNestedJSONFailsTheItem(_ depth: Int) async throws {
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay_bytes(('{\"id\": \"%s\", \"status\": \"ok\", \"metadata\": ' % rid + '[' * \(depth) + ']' * \(depth) + '}\\n').encode())")
        let reason = try await box.failure(generator)
        #expect(reason.contains("printed a line nested deeper than 32 levels"), "\(reason)")
    }

    @Test(arguments: [
        (#"{"id": rid, "status": "ok", "path": out, "extra": 1}"#, #"unknown field "extra""#),
        (#"{"id": rid, "status": "ok", "path": 7}"#, "path is 7, expected a string"),
        (#"{"id": rid, "status": "ok", "path": out, "seconds": "fast"}"#, #"seconds is "fast", expected a number"#),
        (#"{"id": rid, "status": "ok", "path": out, "seconds": True}"#, "seconds is true, expected a number"),
        (#"{"id": rid, "status": "ok", "path": out, "metadata": "gpu"}"#, #"metadata is "gpu", expected an object"#),
        (#"{"id": rid, "status": "ok", "path": out, "refused": 1}"#, "refused is 1, expected a string saying why"),
        (#"{"id": rid, "status": "ok", "path": out, "refused": ["nsfw"]}"#, "refused is an array, expected a string saying why"),
        (#"{"id": rid, "status": "maybe", "path": out}"#, #"status is "maybe", expected "ok" or "error""#),
        (#"{"id": rid, "path": out}"#, "it has no status"),
    ])
    func aReplyWithAnUnknownFieldOrAWrongTypeFailsOnlyThatItem(_ reply: String, _ phrase: String) async throws {
        // Given a worker that writes a good image but answers with a malformed reply
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay(\(reply))")
        // Then that item fails naming the field, and the worker is not restarted (the failure is the reply's, not the worker's)
        let reason = try await box.failure(generator)
        #expect(reason.hasPrefix("the worker's reply is not valid: " + phrase), "\(reason)")
    }

    @Test func aReplyWhoseIdIsNotAStringKillsTheWorker() async throws {
        let box = try HostileSandbox()
        let generator = try box.worker(answer: "write(out)\nsay({\"id\": int(rid), \"status\": \"ok\", \"path\": out})")
        let reason = try await box.failure(generator)
        #expect(reason.contains("printed a line that is not a protocol reply: {\"id\": 7,") && reason.contains("twice"), "\(reason)")
    }
}

/// Commands are held to the same rule: the file at `{out}` must be their own.
@Suite struct HostileCommandTests {
    func command(_ box: HostileSandbox, _ shell: String) throws -> CommandGenerator {
        try CommandGenerator(argv: ["bash", "-c", shell, "hostile", "{out}", box.other.path, box.elsewhere.path, box.fixture.path],
                             timeout: 20, settings: GenerationSettings())
    }

    func reason(_ box: HostileSandbox, _ generator: CommandGenerator, written: Set<String> = []) async -> String {
        let before = box.outside()
        var reason = ""
        do {
            let image = try await generator.generate(box.item(7))
            Issue.record("the command's output was accepted: \(image.path)")
        } catch {
            reason = "\(error)"
        }
        box.expectUntouched(before: before, written: written)
        return reason
    }

    @Test func aCommandThatLinksAnotherPromptsImageFails() async throws {
        let box = try HostileSandbox()
        let reason = await reason(box, try command(box, #"ln -s "$2" "$1""#))
        #expect(reason.contains("is a symbolic link to \(box.other.path)"), "\(reason)")
    }

    @Test func aCommandThatHardLinksAnotherPromptsImageFails() async throws {
        let box = try HostileSandbox()
        let reason = await reason(box, try command(box, #"ln "$2" "$1""#))
        #expect(reason.contains("has 2 hard links"), "\(reason)")
    }

    @Test func aCommandThatLinksOutOfTheFolderFails() async throws {
        let box = try HostileSandbox()
        let reason = await reason(box, try command(box, #"cp "$4" "$3/x.png" && ln -s "$3/x.png" "$1""#), written: ["elsewhere/x.png"])
        #expect(reason.contains("is a symbolic link to \(box.elsewhere.path)/x.png"), "\(reason)")
    }

    @Test func aCommandThatWritesItsOwnFileStillPasses() async throws {
        let box = try HostileSandbox()
        let image = try await command(box, #"cp "$4" "$1""#).generate(box.item(7))
        #expect(image.path == box.item(7).output && image.sha256 == SHA256.hex(ImageFixtures.png(seed: 7)))
    }
}
