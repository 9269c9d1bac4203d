import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `wise generate` / `wise run --model` with real worker processes, the tiny worker misbehaving on purpose.
@Suite(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
struct GenerateTests {
    func rows(_ ws: Workspace, _ run: String, store: String? = nil) throws -> [ImageRow] {
        let store = try ResultsStore(path: store ?? ws.storePath, create: false)
        return try store.imageRows(run: try store.requireRun(run))
    }

    @Test func crashHangGarbageAndErrorRepliesAreRecordedWithWhatHappened() async throws {
        // Given a worker that crashes once on 2, always on 3, hangs on 4, prints garbage on 5 and refuses 6
        let ws = try Workspace(label: "faults")
        let worker = TinyWorker.command("--crash-once-on 2 --state \(ws.root.path) --crash-on 3 --hang-on 4 --garbage-on 5 --fail-on 6")
        // When ids 1-8 are generated with a 1 s timeout
        let result = try await ws.run(["generate", "f", "--set", "legacy", "--generator", "worker", "--worker-cmd", worker,
                                       "--ids", "1-8", "--timeout", "1", "--store", ws.storePath])
        // Then the run finishes, the one-off crash is retried into an image, and each fault is a failed row saying what happened;
        // with images failed the command ends incomplete (75), naming them, after its summary and board
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.errorLines.last?.contains("4 of 8 images failed (prompt ") == true && result.errorLines.last?.contains(" sample 0: ") == true, "\(result.stderr)")
        #expect(result.stderr.contains("run the same command again to retry only those"))
        let byID = Dictionary(uniqueKeysWithValues: try rows(ws, "f").map { ($0.promptID, $0) })
        #expect([1, 2, 7, 8].allSatisfy { byID[$0]?.status == .ok })
        #expect(byID[3]?.status == .missing && byID[3]?.problem?.contains("exited with status 3 twice") == true, "\(String(describing: byID[3]?.problem))")
        #expect(byID[4]?.problem?.contains("took longer than the 1 s timeout on prompt 4") == true, "\(String(describing: byID[4]?.problem))")
        #expect(byID[5]?.problem?.contains("not a protocol reply: Loading pipeline components... 100%|##########| this is not JSON") == true)
        #expect(byID[6]?.problem == "the worker said: out of memory (on purpose)")
        #expect(result.stderr.contains("4 images made, 0 already made, 4 failed"))

        // When run again under the same name with another worker command / Then it is refused in one line
        let again = try await ws.run(["generate", "f", "--set", "legacy", "--generator", "worker", "--worker-cmd", worker.replacingOccurrences(of: "--crash-on 3 --hang-on 4 --garbage-on 5 --fail-on 6", with: ""),
                                      "--ids", "1-8", "--store", ws.storePath])
        #expect(again.status == 64 && again.errorLines.count == 1 && again.stderr.contains("already exists with another configuration"))
    }

    @Test func aWorkerThatExitsAtStartIsAClearErrorAndWritesNothing() async throws {
        // Given a worker that exits with status 4 before its ready line
        let ws = try Workspace(label: "exit")
        // When generating
        let result = try await ws.run(["generate", "e", "--set", "legacy", "--generator", "worker",
                                       "--worker-cmd", TinyWorker.command("--exit-at-start 4"), "--limit", "3", "--store", ws.storePath])
        // Then one line says so, with the worker's own last words, and no run is recorded
        #expect(result.status == 69)
        #expect(result.stderr.contains("exited with status 4 before it was ready; its stderr ends: tiny worker: cannot load the model (on purpose)"))
        let store = try ResultsStore(path: ws.storePath, create: true)
        #expect(try store.runs().isEmpty)
        // And the worker's whole stderr is kept in its log
        let log = try String(contentsOf: ws.path("results/images/e/logs/worker-0.log"), encoding: .utf8)
        #expect(log.contains("cannot load the model (on purpose)") && result.stderr.contains("worker-0.log"))
    }

    @Test func onlyThePromptTextReachesTheWorkerAndSeedsFollowTheRule() async throws {
        // Given a worker that records every request line
        let ws = try Workspace(label: "prompt")
        let log = ws.path("requests.jsonl").path
        // When 5 prompts × 2 samples are generated with base seed 100
        let result = try await ws.run(["generate", "p", "--set", "legacy", "--generator", "worker", "--worker-cmd", TinyWorker.command("--record \(log)"),
                                       "--ids", "401-405", "--samples", "2", "--seed-base", "100", "--width", "32", "--height", "8",
                                       "--option", "scheduler=euler", "--store", ws.storePath])
        #expect(result.status == 0, "\(result.stderr)")
        // Then each request carries the Prompt field and never the explanation, with seed 100 + id + 1000 × sample
        let catalogue = try ws.catalogue.load(.legacy)
        let requests = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(requests.count == 10)
        for request in requests {
            let id = request["prompt_id"] as! Int, sample = request["sample_index"] as! Int
            let prompt = catalogue.prompt(id)!
            #expect(request["prompt"] as? String == prompt.text)
            let line = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
            #expect(!line.contains(prompt.explanation), "explanation of \(id) reached the worker")
            #expect(request["seed"] as? Int == 100 + id + 1000 * sample)
            #expect(request["width"] as? Int == 32 && request["steps"] is NSNull)
            #expect((request["options"] as? [String: Any])?["scheduler"] as? String == "euler")
        }
        let stored = try rows(ws, "p")
        #expect(stored.count == 10 && stored.allSatisfy { $0.status == .ok && $0.seed == 100 + $0.promptID + 1000 * $0.sampleIndex })
        #expect(stored.first { $0.sampleIndex == 1 }?.path?.hasSuffix("401_s1.png") == true)
        let store = try ResultsStore(path: ws.storePath, create: false)
        let pass = try store.generationPasses(run: store.requireRun("p"))
        #expect(pass.count == 1 && pass[0].requestedIDs == Array(401...405) && pass[0].samples == 2)
        let runs = try await ws.run(["runs", "--store", ws.storePath])
        #expect(runs.stdout.contains("generated for ids 401–405 only (5 of 1000 prompts asked for)"), "\(runs.stdout)")
    }

    @Test func fourGPUsEachGetAWorkerAndAllAreKeptBusy() async throws {
        // Given a worker that takes 50 ms per image
        let ws = try Workspace(label: "gpus")
        // When 40 images are generated on --gpus 0,1,2,3 with two requests in flight each
        let result = try await ws.run(["generate", "g", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command("--delay 0.05"),
                                       "--gpus", "0,1,2,3", "--batch", "2", "--limit", "40", "--store", ws.storePath])
        #expect(result.status == 0, "\(result.stderr)")
        // Then every worker made images, each under its own CUDA_VISIBLE_DEVICES
        let gpus = try rows(ws, "g").compactMap { row -> String? in
            guard let text = row.metadata, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
            return object["gpu"] as? String
        }
        #expect(gpus.count == 40)
        #expect(Set(gpus) == ["0", "1", "2", "3"])
        let perGPU = Dictionary(grouping: gpus, by: { $0 }).mapValues(\.count)
        #expect(perGPU.values.allSatisfy { $0 >= 5 }, "\(perGPU)")
        #expect(result.stderr.contains("starting 4 worker(s)"))
    }

    @Test func aKilledRunResumesWithoutMakingAnyImageTwice() async throws {
        // Given a slow worker that records its requests, killed once 10 images are in the store
        let ws = try Workspace(label: "resume")
        let log = ws.path("requests.jsonl").path
        let args = ["generate", "r", "--set", "legacy", "--generator", "worker", "--worker-cmd", TinyWorker.command("--delay 0.02 --record \(log)"),
                    "--limit", "60", "--store", ws.storePath]
        let process = try ws.wise.start(args)
        let landed = try await killWhen(process, storePath: ws.storePath) { $0.images >= 10 }
        #expect(landed)
        let before = try rows(ws, "r").filter { $0.status == .ok }
        // When the same command runs again
        let second = try await ws.run(args)
        #expect(second.status == 0, "\(second.stderr)")
        // Then the run holds all 60, and no image recorded before the kill was asked for again
        let after = try rows(ws, "r")
        #expect(after.count == 60 && after.allSatisfy { $0.status == .ok })
        let requests = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["prompt_id"] as! Int
        }
        for row in before { #expect(requests.filter { $0 == row.promptID }.count == 1, "prompt \(row.promptID) made twice") }
        #expect(after.filter { before.map(\.promptID).contains($0.promptID) }.map(\.sha256) == before.map(\.sha256))
    }

    @Test func commandGeneratorPassesThePromptAsOneArgumentWithoutAShell() async throws {
        // Given a command that copies a PNG to {out} and writes its prompt argument beside it
        let ws = try Workspace(label: "command")
        try ImageFixtures.png(seed: 1).write(to: ws.path("fixture.png"))
        let script = "import shutil,sys; shutil.copy(sys.argv[1], sys.argv[3]); open(sys.argv[3] + '.txt', 'w').write(sys.argv[2])"
        let template = "python3 -c \"\(script)\" \(ws.path("fixture.png").path) {prompt} {out}"
        // When ids 1-3 are generated, and then with a typo in a placeholder
        let result = try await ws.run(["generate", "c", "--set", "legacy", "--generator", "command", "--argv", template,
                                       "--ids", "1-3", "--out", ws.path("out").path, "--store", ws.storePath])
        #expect(result.status == 0, "\(result.stderr)")
        let typo = try await ws.run(["generate", "d", "--set", "legacy", "--generator", "command", "--argv", "gen {promt} {out}", "--store", ws.storePath])
        // Then each prompt arrived whole, as one argument; the typo gets one line with a suggestion
        let catalogue = try ws.catalogue.load(.legacy)
        for id in 1...3 {
            #expect(try String(contentsOfFile: ws.path("out/\(id).png.txt").path, encoding: .utf8) == catalogue.prompt(id)!.text)
        }
        #expect(try rows(ws, "c").allSatisfy { $0.status == .ok })
        #expect(typo.status == 64 && typo.stderr.contains("{promt}, which is not a placeholder (did you mean 'prompt'?)"))
    }

    @Test func shardsMergeIntoTheSameStoreAsOneRunAndConflictsAreRefused() async throws {
        // Given one unsharded run of 30 ids and the same run in 4 shard stores
        let ws = try Workspace(label: "shards")
        func generate(_ extra: [String], store: String) async throws -> WiseProcess.Result {
            try await ws.run(["generate", "m", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command(),
                              "--ids", "1-20,401-410", "--samples", "2", "--out", ws.path("img").path, "--store", store] + extra)
        }
        #expect(try await generate([], store: ws.path("whole.sqlite").path).status == 0)
        for shard in 0..<4 { #expect(try await generate(["--shard", "\(shard)/4"], store: ws.path("s\(shard).sqlite").path).status == 0) }
        // When the shard stores are merged
        let shards = (0..<4).map { ws.path("s\($0).sqlite").path }
        let merged = try await ws.run(["merge"] + shards + ["--into", ws.path("merged.sqlite").path])
        #expect(merged.status == 0, "\(merged.stderr)")
        // Then the merged run equals the unsharded one item for item, and merging again adds nothing
        func items(_ path: String) throws -> [String] {
            try rows(ws, "m", store: path).map { "\($0.promptID)/\($0.sampleIndex) \($0.status) \($0.sha256 ?? "") \($0.seed ?? -1)" }
        }
        #expect(try items(ws.path("merged.sqlite").path) == items(ws.path("whole.sqlite").path))
        #expect(try items(ws.path("merged.sqlite").path).count == 60)
        let digest = try ResultsStore(path: ws.path("merged.sqlite").path, create: false).contentDigest()
        #expect(try await ws.run(["merge"] + shards + ["--into", ws.path("merged.sqlite").path]).status == 0)
        #expect(try ResultsStore(path: ws.path("merged.sqlite").path, create: false).contentDigest() == digest)

        // When another store holds other bytes for the same items of the same run / Then the merge is refused, naming one, and writes nothing
        var salted = ws.wise
        salted.environment["TINY_SALT"] = "other bytes"
        let other = ws.path("other.sqlite").path
        #expect(try await salted.run(["generate", "m", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command(),
                                      "--ids", "1-20,401-410", "--samples", "2", "--out", ws.path("img2").path, "--store", other]).status == 0)
        let clash = try await ws.run(["merge", other, "--into", ws.path("merged.sqlite").path])
        #expect(clash.status == 65 && clash.errorLines.count == 1 && clash.stderr.contains("run 'm' prompt 1 sample 0 has image"), "\(clash.stderr)")
        #expect(try ResultsStore(path: ws.path("merged.sqlite").path, create: false).contentDigest() == digest)
        // And a run of the same name with other settings is refused too
        #expect(try await ws.run(["generate", "m", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command(),
                                  "--ids", "1-3", "--width", "20", "--out", ws.path("img3").path, "--store", ws.path("wide.sqlite").path]).status == 0)
        let config = try await ws.run(["merge", ws.path("wide.sqlite").path, "--into", ws.path("merged.sqlite").path])
        #expect(config.status == 65 && config.stderr.contains("run 'm' there has another configuration"), "\(config.stderr)")
        #expect(try ResultsStore(path: ws.path("merged.sqlite").path, create: false).contentDigest() == digest)
    }

    @Test func runWithARegisteredModelGeneratesJudgesAndReports() async throws {
        // Given a registry naming the tiny worker as model 'tiny' and a loopback judge
        let registry = try TempDirectory.make("registry").appendingPathComponent("registry.json")
        try TinyWorker.writeRegistry(to: registry)
        let ws = try Workspace(label: "runmodel", extraEnvironment: ["WISE_MODELS": registry.path, "WISE_TEST_KEY": "sk-test-0123456789abcdef"])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        // When `wise run NAME --model tiny --set verified --judge openai …` runs on 12 ids, two samples each
        let result = try await ws.run(["run", "t", "--model", "tiny", "--set", "verified", "--limit", "12", "--samples", "2",
                                       "--judge", "openai", "--base-url", server.baseURL, "--judge-model", server.configuration.model,
                                       "--api-key-env", "WISE_TEST_KEY", "--store", ws.storePath])
        // Then 24 images are made with the registered settings, judged and reported
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.validationFailures.isEmpty, "\(server.validationFailures.prefix(2))")
        let store = try ResultsStore(path: ws.storePath, create: false)
        let run = try store.requireRun("t")
        #expect(run.generator.parameters["registry_model"] == "tiny" && run.generator.parameters["family"] == "test")
        #expect(run.generator.parameters["width"] == "24" && run.generator.parameters["seed_rule"] == "base+prompt_id+1000*sample (base 0)")
        #expect(try store.judgmentRows(run: run).filter { $0.status == .ok }.count == 24)
        // And the report scores each of the 12 prompts once, over its two samples
        let report = try await ReportJSON.decode(ws.run(["report", "t", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        #expect(report.scored == 12)
        #expect(result.stdout.contains("t "))
        #expect(try !store.allJudgmentTexts(run: run).joined().contains("sk-test-0123456789abcdef"))
        // And a typo in the model name gets a suggestion
        let typo = try await ws.run(["generate", "x", "--model", "tiy", "--set", "verified", "--store", ws.storePath])
        #expect(typo.status == 64 && typo.stderr.contains("no model named 'tiy' in the registry (did you mean 'tiny'?)"))
        let list = try await ws.run(["models", "list"])
        #expect(list.status == 0 && list.stdout.contains("tiny *") && list.stdout.contains("24x16"))
    }
}

/// `wise judge --shard I/N` judges the same share of ids that `wise generate --shard I/N` makes.
@Suite(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
struct ShardedJudgeTests {
    @Test func judgeShardsSplitTheIdsLikeGenerateShards() async throws {
        // Given 12 generated images and a loopback judge
        let ws = try Workspace(label: "judgeshard", extraEnvironment: ["WISE_TEST_KEY": "sk-test-0123456789abcdef"])
        #expect(try await ws.run(["generate", "j", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command(),
                                  "--limit", "12", "--store", ws.storePath]).status == 0)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let judge = ["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "WISE_TEST_KEY", "--store", ws.storePath]
        // When shard 1 of 3 is judged
        let first = try await ws.run(["judge", "j", "--shard", "1/3"] + judge)
        #expect(first.status == 0, "\(first.stderr)")
        // Then exactly ids 2, 5, 8, 11 are judged; the other shards then complete the run
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.judgmentRows(run: store.requireRun("j")).map(\.promptID) == [2, 5, 8, 11])
        for shard in ["0/3", "2/3"] { #expect(try await ws.run(["judge", "j", "--shard", shard] + judge).status == 0) }
        #expect(try store.judgmentRows(run: store.requireRun("j")).map(\.promptID) == Array(1...12))
        let bad = try await ws.run(["judge", "j", "--shard", "3/3"] + judge)
        #expect(bad.status == 64 && bad.stderr.contains("--shard 3/3: expected I/N with 0 ≤ I < N"))
    }
}
