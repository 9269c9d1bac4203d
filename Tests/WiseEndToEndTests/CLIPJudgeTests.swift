import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `--judge clip`, `wise calibrate` and `wise models fetch`, driven as a user would, with the tiny
/// CLIP models of the parity fixtures (a real model needs the hub, which is not reachable here).
@Suite struct CLIPJudgeTests {
    static let model = TestCatalogue.repositoryRoot.appendingPathComponent("Tests/WiseCLIPTests/Fixtures/tiny-quick").path
    static let key = "sk-test-clip-0123456789"

    func workspace(_ label: String) async throws -> Workspace {
        let ws = try Workspace(label: label, extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...30)
        let registered = try await ws.run(["run", "r", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(registered.status == 0, "\(registered.stderr)")
        return ws
    }

    /// A loopback LLM judge that has judged run `r` of the workspace (its labels are a function of
    /// each image); the caller stops it.
    func judgedByLLM(_ ws: Workspace) async throws -> FakeJudgeServer {
        var config = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        config.apiKey = Self.key
        let server = try FakeJudgeServer(config)
        let llm = try await ws.run(["judge", "r", "--base-url", server.baseURL, "--model", server.configuration.model,
                                    "--api-key-env", "WISE_TEST_KEY", "--store", ws.storePath])
        #expect(llm.status == 0, "\(llm.stderr)")
        return server
    }

    @Test func aLocalCLIPJudgeScoresKeepsItsMeasurementsAndIsNotRunTwice() async throws {
        // Given a registered run of 30 images
        let ws = try await workspace("clip-judge")
        // When judged by the clip judge with 2 repeats
        let first = try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", Self.model, "--clip-threads", "1", "--repeats", "2", "--store", ws.storePath])
        #expect(first.status == 0, "\(first.stderr)")
        // Then every judgment is scored, carries CLIPScore measurements, and the two repeats are identical
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = try store.judgmentRows(run: try store.requireRun("r"))
        #expect(rows.count == 60 && rows.allSatisfy { $0.status == .ok })
        for id in 1...30 {
            let pair = rows.filter { $0.promptID == id }
            #expect(pair.count == 2 && pair[0].measurements == pair[1].measurements && pair[0].scores == pair[1].scores, "id \(id)")
            let m = pair[0].measurements
            #expect(m["clip_score"].map { $0 >= 0 && $0 <= 2.5 } == true, "id \(id): \(m)")
            #expect(m["clip_score_explanation"] != nil && m["clip_score_prompt"] != nil)
            #expect(pair[0].rawReply == nil)
        }
        // And each judgment names the model and the BLAS kernels, as OPENBLAS_CORETYPE chose them where it is set
        let kernels = Set(rows.compactMap(\.systemFingerprint))
        #expect(rows.allSatisfy { $0.servedModel == "tiny-quick" } && kernels.count == 1, "\(kernels)")
        #if os(Linux)
        #expect(kernels.first?.hasPrefix("OpenBLAS ") == true, "\(kernels)")
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !forced.isEmpty {
            #expect(kernels.first?.lowercased() == "openblas " + forced.lowercased(), "\(kernels) with OPENBLAS_CORETYPE=\(forced)")
        }
        #endif
        // And where OPENBLAS_CORETYPE holds OpenBLAS to AVX2 kernels on an AVX-512 CPU, the user is told so
        let forcedAVX2 = ["haswell", "zen"].contains(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]?.lowercased() ?? "")
        let avx512 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx512bw")
        #expect(first.stderr.contains("holds OpenBLAS to its") == (forcedAVX2 && avx512), "\(first.stderr)")
        let report = try await ws.run(["report", "r", "--store", ws.storePath])
        #expect(report.stdout.contains("served by tiny-quick (\(kernels.first ?? "?"))"), "\(report.stdout)")
        // And the report names the clip judge; a second pass computes nothing
        #expect(first.stdout.contains("judge clip") || first.stderr.contains("clip"), "\(first.stdout)")
        let again = try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", Self.model, "--clip-threads", "1", "--repeats", "2", "--store", ws.storePath])
        #expect(again.status == 0 && again.stderr.contains("judged 0 items"), "\(again.stderr)")
        // And a typo in the judge's name gets a suggestion
        let typo = try await ws.run(["judge", "r", "--judge", "clpi", "--store", ws.storePath])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'clip'"), "\(typo.stderr)")
    }

    @Test func calibrationFitsAnotherJudgesLabelsAndTheCalibratedJudgeUsesThem() async throws {
        // Given the run judged by an LLM judge (the loopback server's labels are a function of each image)
        let ws = try await workspace("clip-calibrate")
        let server = try await judgedByLLM(ws)
        defer { server.stop() }
        // When the clip judge is calibrated against it
        let out = ws.path("clip.json").path
        let calibrated = try await ws.run(["calibrate", "--judge", "clip", "--against", "r", "--clip-model", Self.model, "--clip-threads", "1",
                                           "--out", out, "--store", ws.storePath])
        // Then a calibration file for verified is written and the agreement is printed for the 30 images
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        let file = try String(contentsOfFile: out, encoding: .utf8)
        #expect(file.contains("\"protocol\":\"verified\"") && file.contains("\"thresholds\""), "\(file)")
        #expect(calibrated.stdout.contains("on 30 images of run r") && calibrated.stdout.contains("quadratic κ"), "\(calibrated.stdout)")
        #expect(calibrated.stderr.contains("CLIP measurements of 30 images: 30 measured now"), "\(calibrated.stderr)")
        // And the calibrated judge scores the run with those thresholds, as a judge of its own
        let judged = try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", Self.model, "--clip-threads", "1",
                                       "--calibration", out, "--store", ws.storePath])
        #expect(judged.status == 0 && judged.stderr.contains("judged 30 items"), "\(judged.stderr)")
        // And a calibration for the other protocol is refused in one line
        let legacyRun = try await ws.run(["run", "l", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(legacyRun.status == 0)
        let wrong = try await ws.run(["judge", "l", "--judge", "clip", "--clip-model", Self.model, "--calibration", out, "--store", ws.storePath])
        #expect(wrong.status == 64 && wrong.errorLines.count == 1 && wrong.stderr.contains("is for protocol verified"), "\(wrong.stderr)")
    }

    @Test func calibrationAfterAClipPassCountsTheMeasurementsItFitsOn() async throws {
        // Given the run judged by an LLM judge and already by the clip judge
        let ws = try await workspace("clip-calibrate-again")
        let server = try await judgedByLLM(ws)
        defer { server.stop() }
        #expect(try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", Self.model, "--clip-threads", "1", "--store", ws.storePath]).status == 0)
        // When calibrated (nothing is left to measure)
        let calibrated = try await ws.run(["calibrate", "--against", "r", "--clip-model", Self.model, "--clip-threads", "1",
                                           "--out", ws.path("clip.json").path, "--store", ws.storePath])
        // Then it says it fits on the 30 measurements of the earlier pass, not that it measured 0 images
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        #expect(calibrated.stderr.contains("CLIP measurements of 30 images: 0 measured now, 30 from earlier passes"), "\(calibrated.stderr)")
        #expect(!calibrated.stderr.contains("measured 0") && calibrated.stdout.contains("on 30 images of run r"), "\(calibrated.stdout)")
    }

    @Test func modelsFetchDownloadsAModelTheClipJudgeThenUses() async throws {
        // Given a loopback hub serving the tiny model's files as acme/tiny-clip
        let names = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"]
        var files: [String: Data] = [:]
        for name in names { files[name] = try Data(contentsOf: URL(fileURLWithPath: Self.model).appendingPathComponent(name)) }
        let hub = try FakeHub(files: files)
        defer { hub.server.stop() }
        let ws = try await workspace("clip-fetch")
        // When fetched twice
        let fetched = try await ws.run(["models", "fetch", "acme/tiny-clip", "--base-url", hub.server.baseURL])
        let again = try await ws.run(["models", "fetch", "acme/tiny-clip", "--base-url", hub.server.baseURL])
        // Then the five files arrive, then are all present, and the clip judge finds the model by its repo id
        #expect(fetched.status == 0 && fetched.stdout.split(separator: "\n").filter { $0.hasPrefix("downloaded") }.count == 5, "\(fetched.stderr)")
        #expect(again.status == 0 && again.stdout.split(separator: "\n").filter { $0.hasPrefix("present") }.count == 5)
        let judged = try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", "acme/tiny-clip", "--clip-threads", "1", "--limit", "3", "--store", ws.storePath])
        #expect(judged.status == 0 && judged.stderr.contains("judged 3 items"), "\(judged.stderr)")
        // And a repo that was never fetched is a one-line error naming the command that fetches it
        let missing = try await ws.run(["judge", "r", "--judge", "clip", "--clip-model", "acme/other", "--store", ws.storePath])
        #expect(missing.status == 64 && missing.stderr.contains("wise models fetch acme/other"), "\(missing.stderr)")
    }
}
