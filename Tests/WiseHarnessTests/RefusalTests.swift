import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// Refusals counted apart: a safety checker's blank, a flat image from any generator, an API's content policy.
@Suite struct RefusalTests {
    static let key = "sk-test-0123456789abcdef"

    /// Generates `ids` with a worker command into a fresh store, judges them with a loopback judge, and returns the store and run.
    func generateAndJudge(worker: String, ids: String, timeout: Double = 30) async throws -> (ResultsStore, StoredRun) {
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("refusals")
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        var options = try GenerationOptions.parse(["--generator", "worker", "--worker-cmd", worker,
                                                   "--ids", ids, "--width", "64", "--height", "64",
                                                   "--out", dir.appendingPathComponent("img").path])
        options.generateProgressInterval = 60
        let prepared = try options.makeGenerator(model: nil, run: "g", timeout: timeout, environment: fixture.environment)
        _ = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: prepared, options: options,
                                     store: store, catalogue: try fixture.load(.verified))
        }
        let run = try store.requireRun("g")
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let judgeOptions = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "K",
                                                   "--timeout", "5", "--progress-interval", "60"])
        var environment = fixture.environment
        environment["K"] = Self.key
        let made = try judgeOptions.makeJudge(scoringProtocol: .verified, environment: environment)
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: judgeOptions, made: made) }
        return (store, run)
    }

    /// The report's notes for run `g`.
    func reportNotes(_ store: ResultsStore) throws -> String {
        let recorder = ConsoleRecorder()
        try Console.$sink.withValue(recorder) {
            try RunReport(store: store, runs: ["g"], judgeKey: nil).writeBoard(format: .terminal, decimals: nil, prices: nil, resamples: 50,
                                                                              seed: 1, allowMixed: false, out: nil)
        }
        return recorder.messages
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func aWorkersRefusalAndAFlatImageAreRecordedJudgedAndReportedApart() async throws {
        // Given a worker that refuses prompt 2 (black image, says so) and draws prompt 3 in one grey
        // When the images are made and judged
        let (store, run) = try await generateAndJudge(worker: TinyWorker.command("--refuse-on 2 --flat-on 3"), ids: "1-6")
        // Then both are recorded as refusals with their reasons, and still judged
        let refusals = try store.refusals(of: run)
        #expect(refusals.keys.sorted() == [2, 3])
        #expect(refusals[2]?.contains("safety checker") == true && refusals[3]?.contains("flat colour") == true)
        #expect(try store.judgmentRows(run: run).count == 6)
        // And the report counts them apart, with the WiScore both ways
        let summary = try #require(try RefusalSummary(store: store, run: run, judgeKey: nil))
        #expect(summary.official == (try store.summary(of: run)).score.overall)
        let notes = try reportNotes(store)
        #expect(notes.contains("2 refused prompts counted apart (flat image 1, safety checker 1; ids 2–3)"), "\(notes)")
        #expect(notes.contains("without the refused prompts"))
    }

    @Test(.enabled(if: Tools.modelPython != nil, Comment(rawValue: Tools.Reason.modelPython)), .timeLimit(.minutes(10)))
    func aTinyStableDiffusionWhoseSafetyCheckerFlagsEveryImageIsReportedAsRefusals() async throws {
        // Given a tiny random SD 1.5-style pipeline whose tiny safety checker flags every image
        let python = try #require(Tools.modelPython)
        let dir = try TempDirectory.make("tiny-sd-flagging")
        let model = dir.appendingPathComponent("model").path
        let workers = TestCatalogue.repositoryRoot.appendingPathComponent("workers")
        let build = Process()
        build.executableURL = URL(fileURLWithPath: python)
        build.arguments = [workers.appendingPathComponent("tests/tiny_models.py").path, "stable-diffusion-flagging", model]
        build.standardOutput = FileHandle.nullDevice
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0)
        // When the diffusers worker makes three images with it, and they are judged
        let worker = "\(python) \(workers.appendingPathComponent("diffusers_worker.py").path) --model \(model) --threads 1 --steps 2"
        let (store, run) = try await generateAndJudge(worker: worker, ids: "1-3", timeout: 300)
        // Then all three are recorded as the safety checker's refusals, judged, and reported apart
        let refusals = try store.refusals(of: run)
        #expect(refusals.keys.sorted() == [1, 2, 3] && refusals.values.allSatisfy { $0.contains("safety checker") })
        #expect(try store.judgmentRows(run: run).count == 3)
        #expect(try reportNotes(store).contains("3 refused prompts counted apart (safety checker 3; ids 1–3)"))
    }

    @Test func anImagesAPIContentPolicyRefusalIsRecordedAsARefusalAndTheRunGoesOn() async throws {
        // Given an images API that declines prompt 2 on its content policy and draws the others
        let fixture = try TestCatalogue.make()
        let declined = "\"prompt\":\"\(try fixture.load(.verified).requirePrompt(2).text)\""
        let png = ImageFixtures.png(seed: 9).base64EncodedString()
        let server = try LoopbackHTTPServer { request in
            if String(decoding: request.body, as: UTF8.self).contains(declined) {
                return .json(#"{"error":{"code":"content_policy_violation","message":"Your request was rejected by our safety system.","type":"invalid_request_error"}}"#, status: 400)
            }
            return .json(#"{"data":[{"b64_json":"\#(png)"}]}"#)
        }
        defer { server.stop() }
        let pass = try ImagesAPIRun(server: server, ids: "1-4", label: "images-refusal", key: Self.key, fixture: fixture)
        // When generating
        _ = try? await pass.generate()
        // Then prompt 2 is a refusal in the server's words, asked once, and the other three were made
        let store = pass.store
        let run = try store.requireRun("g")
        let refusals = try store.refusals(of: run)
        #expect(refusals.keys.sorted() == [2] && refusals[2]?.contains("content policy: ") == true)
        #expect(refusals[2]?.contains("rejected by our safety system") == true)
        let rows = try store.imageRows(run: run)
        #expect(rows.filter { $0.status == .ok }.count == 3, "\(rows.map { "\($0.promptID) \($0.status) \($0.problem ?? "")" })")
        #expect(server.requestCount == 4)
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func aFlatImageInARegisteredFolderIsARefusal() throws {
        // Given a folder with prompt 1 an ordinary image and prompt 2 a compressed flat 128×128 PNG
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("flat-folder")
        let img = dir.appendingPathComponent("img")
        try ImageFixtures.writeFolder(img, ids: 1...1)
        try Self.writeFlatPNG(img.appendingPathComponent("2.png"), size: 128)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let registration = FolderRegistration(name: "f", set: .verified, scoringProtocol: nil, images: img.path, strict: false)
        let catalogue = try fixture.load(.verified)
        // When registered
        let recorder = ConsoleRecorder()
        let run = try Console.$sink.withValue(recorder) {
            try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
        }
        // Then only the flat image is a refusal, and the registration says so
        #expect(try store.refusals(of: run).keys.sorted() == [2])
        #expect(recorder.messages.contains("refusals (1, one flat colour"))
    }

    @Test func flatnessAllowsJPEGNoiseButNotAnEdge() {
        // Given pixel buffers: flat, flat with ±3 noise, and flat with one pixel 40 away
        let flat = [UInt8](repeating: 200, count: 3 * 100)
        var noisy = flat
        for i in stride(from: 0, to: noisy.count, by: 7) { noisy[i] = 203 }
        var edge = flat
        edge[150] = 160
        // Then the first two are flat and the third is not
        #expect(BlankImage.isBlankPixels(flat) && BlankImage.isBlankPixels(noisy) && !BlankImage.isBlankPixels(edge))
    }

    @Test func onlyImagesSmallForTheirPixelsAreCandidatesForTheFlatCheck() throws {
        // Given a 512-px noise PNG (stored, about 3 bytes a pixel) and a 2×2 fixture
        let noise = ImageFixtures.noisePNG(seed: 1, size: 512)
        guard case .success(let big) = ImageCheck.inspect(noise), case .success(let tiny) = ImageCheck.inspect(ImageFixtures.png(seed: 1)) else {
            Issue.record("fixtures are not images"); return
        }
        // Then neither is decoded again: the first is too large for its pixels, the second too small to judge
        #expect(!ImageCheck.mayBeFlat(big, byteCount: noise.count))
        #expect(!ImageCheck.mayBeFlat(tiny, byteCount: 70))
        // And a 1024² image of 5 KB is a candidate, as flat images compress to that
        #expect(ImageCheck.mayBeFlat(ImageCheck.Info(format: .png, width: 1024, height: 1024), byteCount: 5_000))
    }

    /// A flat grey PNG compressed with zlib, as real encoders write one.
    static func writeFlatPNG(_ url: URL, size: Int) throws {
        let script = """
            import binascii, struct, sys, zlib
            n = int(sys.argv[2])
            raw = b"".join(b"\\x00" + b"\\x80" * (3 * n) for _ in range(n))
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", binascii.crc32(kind + data) & 0xFFFFFFFF)
            open(sys.argv[1], "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0))
                                          + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path, String(size)]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
