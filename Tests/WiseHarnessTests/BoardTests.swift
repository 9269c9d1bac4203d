import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// A whole board from one spec, driven in-process: three command-adapter models through generate →
/// judge against a loopback judge, the report with published rows, resuming, bad specs, the plan.
@Suite struct BoardTests {

    /// A folder with three distinct PNGs, a command per model that logs each call and copies its
    /// PNG, a judge server, and the environment the board reads (catalogue and key).
    struct Given {
        let folder: URL
        let fixture: TestCatalogue
        let server: FakeJudgeServer
        var environment: [String: String]
        var store: String { folder.appendingPathComponent("board.sqlite").path }
        var log: URL { folder.appendingPathComponent("calls.log") }

        init(label: String) throws {
            folder = try TempDirectory.make(label)
            fixture = try TestCatalogue.make()
            server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
            for k in 0..<3 { try ImageFixtures.png(seed: 100 + k).write(to: folder.appendingPathComponent("m\(k).png")) }
            environment = fixture.environment
            environment["BOARD_KEY"] = server.configuration.apiKey
        }

        /// The argv of model k: logs `k id` to calls.log, fails while `fail-k` exists, copies its PNG.
        func argv(_ k: Int) -> String {
            let dir = folder.path
            return "/bin/sh -c 'echo \"\(k) $1\" >> \(dir)/calls.log; [ ! -e \(dir)/fail-\(k) ] || exit 3; exec cp \(dir)/m\(k).png \"$2\"' sh {id} {out}"
        }

        /// A spec of three command models on `ids` (images in img/K with `out`), judged by the server.
        func spec(ids: String = "1-8", out: Bool = true) -> Data {
            let models = (0..<3).map { k -> String in
                let images = out ? ", \"out\": \(jsonString(folder.appendingPathComponent("img/\(k)").path))" : ""
                return "{\"run\": \"model-\(k)\", \"generator\": \"command\", \"options\": {\"argv\": \(jsonString(argv(k)))\(images), \"jobs\": 2}}"
            }.joined(separator: ", ")
            return Data("""
                {"sets": ["verified"], "ids": "\(ids)",
                 "models": [\(models)],
                 "judge": {"adapter": "openai", "model": \(jsonString(server.configuration.model)), "base_urls": [\(jsonString(server.baseURL))],
                           "api_key_env": "BOARD_KEY", "options": {"retry-base-delay": 0.01, "timeout": 5, "progress-interval": 60}}}
                """.utf8)
        }

        func board(_ spec: Data) throws -> BoardRun {
            var board = BoardRun(spec: try BoardSpec.parse(spec, path: "board.json"), storeOptions: try StoreOptions.parse(["--store", store]))
            board.environment = environment
            board.report.resamples = 200
            return board
        }

        var calls: [String] { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    }

    @Test func threeModelsAreMadeJudgedAndReportedAndASecondRunDoesNothing() async throws {
        // Given a board of three command models on 8 ids and a loopback judge
        let given = try Given(label: "board")
        defer { given.server.stop() }
        let recorder = ConsoleRecorder()
        // When the board runs
        try await Console.$sink.withValue(recorder) { try await given.board(given.spec()).run() }
        // Then each model is its own run with 8 images, each judged with the server's score of its image
        let store = try ResultsStore(path: given.store, access: .readOnly)
        for k in 0..<3 {
            let run = try store.requireRun("model-\(k)")
            let rows = try store.judgmentRows(run: run)
            #expect(rows.count == 8 && rows.allSatisfy { $0.status == .ok }, "model-\(k): \(rows.count)")
            let expected = FakeJudgeServer.expectedScores(for: try ImageFixtures.png(seed: 100 + k), scoringProtocol: .verified)
            #expect(rows.allSatisfy { $0.scores == expected })
        }
        #expect(given.calls.count == 24)
        // And the board report has the three runs, intervals and the published rows
        let board = recorder.output.components(separatedBy: "\npublished ").first ?? ""
        #expect(["model-0", "model-1", "model-2"].allSatisfy(board.contains), "\(recorder.output)")
        #expect(recorder.output.contains("published verified board") && recorder.output.contains("(published)"), "\(recorder.output)")
        // And a second run makes no image and sends no request
        let sent = given.server.stats.requests
        try await Console.$sink.withValue(ConsoleRecorder()) { try await given.board(given.spec()).run() }
        #expect(given.calls.count == 24 && given.server.stats.requests == sent)
    }

    @Test func aModelWithFailedImagesLetsTheOthersRunAndTheNextCallFinishesOnlyWhatFailed() async throws {
        // Given a board whose second model fails every image this time
        let given = try Given(label: "board-resume")
        defer { given.server.stop() }
        FileManager.default.createFile(atPath: given.folder.appendingPathComponent("fail-1").path, contents: Data())
        // When the board runs
        let error = await #expect(throws: OutcomeError.self) {
            try await Console.$sink.withValue(ConsoleRecorder()) { try await given.board(given.spec()).run() }
        }
        // Then it ends incomplete naming that run, and the third model was still made and judged
        #expect(error?.kind == .incomplete && error?.message.contains("model-1") == true, "\(String(describing: error))")
        let store = try ResultsStore(path: given.store, access: .readOnly)
        #expect(try store.judgmentRows(run: try store.requireRun("model-2")).count == 8)
        #expect(try store.judgmentRows(run: try store.requireRun("model-1")).isEmpty)
        // When the cause is gone and the board runs again
        try FileManager.default.removeItem(at: given.folder.appendingPathComponent("fail-1"))
        let before = (calls: given.calls, requests: given.server.stats.requests)
        try await Console.$sink.withValue(ConsoleRecorder()) { try await given.board(given.spec()).run() }
        // Then only model 1's images were made and only they were judged
        let again = given.calls.dropFirst(before.calls.count)
        #expect(again.count == 8 && again.allSatisfy { $0.hasPrefix("1 ") }, "\(Array(again))")
        #expect(given.server.stats.requests - before.requests == 8)
        #expect(try store.judgmentRows(run: try store.requireRun("model-1")).count == 8)
    }

    @Test func aBadSpecNamesItsFieldAndTheFixAndRunsNothing() async throws {
        let given = try Given(label: "board-bad")
        defer { given.server.stop() }
        let good = try JSONValue.read(given.spec())
        // Given specs each wrong in one field
        let cases: [(String, String)] = [
            (#"{"sets": ["verifed"], "models": [{"model": "x"}], "judge": {}}"#, "sets[0] is \"verifed\"; use legacy, legacy-rewrite or verified"),
            (#"{"sets": ["verified"], "models": [], "judge": {}}"#, "models must be a non-empty list"),
            (#"{"sets": ["verified"], "modles": [], "judge": {}}"#, "modles is not a field here"),
            (#"{"sets": ["verified"], "models": [{"model": "a"}, {"model": "a"}], "judge": {}}"#, "models[1].run 'a' is also models[0]'s run"),
            (#"{"sets": ["verified"], "models": [{"generator": "command"}], "judge": {}}"#, "models[0] has a generator but no \"run\""),
            (#"{"sets": ["verified"], "models": [{"model": "a", "options": {"shard": "0/2"}}], "judge": {}}"#, "models[0].options.shard is set for the whole board"),
            (#"{"sets": ["verified"], "models": [{"model": "a", "options": {"no-such-option": 1}}], "judge": {}}"#, "models[0].options are not valid `wise generate` options"),
            (#"{"sets": ["verified"], "models": [{"model": "a"}], "judge": {"api_key_env": "sk-live-abcdef0123456789"}}"#, "judge.api_key_env must be the NAME of the environment variable"),
            (#"{"sets": ["verified"], "models": [{"model": "a"}], "judge": {"adapter": "clip", "model": "m"}}"#, "judge.model belongs to the openai judge"),
            (#"{"sets": ["verified"], "ids": "5-", "models": [{"model": "a"}], "judge": {}}"#, "ids is \"5-\""),
            (#"{"sets": ["verified"], "samples": 0, "models": [{"model": "a"}], "judge": {}}"#, "samples is 0; give a whole number from 1 to 100"),
            (#"{"sets": ["verified", "legacy"], "models": [{"model": "a", "options": {"out": "img"}}], "judge": {}}"#, "models[0].options.out would put the images of all 2 sets in one folder"),
            (#"["verified"]"#, "must be a JSON object"),
            (#"{"sets": ["verified""#, "is not valid JSON"),
        ]
        for (text, expected) in cases {
            // When each is read / Then one line names the field and the fix, and never echoes a key
            let error = #expect(throws: UsageError.self) { try BoardSpec.parse(Data(text.utf8), path: "b.json") }
            let message = error?.message ?? ""
            #expect(message.hasPrefix("board spec b.json") && message.contains(expected) && !message.contains("\n"), "\(text): \(message)")
            #expect(!message.contains("sk-live"), "\(message)")
        }
        // Given a spec that parses but names a model the registry lacks, after two good ones
        guard case .object(var members) = good, case .array(var models)? = good["models"] else { Issue.record("spec shape"); return }
        models.append(.object([("model", .string("no-such-model"))]))
        members = members.map { $0.0 == "models" ? ($0.0, .array(models)) : $0 }
        // When it runs / Then the registry's message names the model's place, and no store was written
        let error = await #expect(throws: (any Error).self) {
            try await Console.$sink.withValue(ConsoleRecorder()) { try await given.board(Data(JSONValue.object(members).json.utf8)).run() }
        }
        #expect("\(error!)".contains("models[3] (run no-such-model)"), "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: given.store) && given.calls.isEmpty)
    }

    @Test func thePlanGivesEachRunsArgumentsThatAShellReadsBack() async throws {
        // Given a board on two sets whose argv holds quotes and spaces
        let given = try Given(label: "board-plan")
        defer { given.server.stop() }
        var text = String(decoding: given.spec(ids: "1-4,401", out: false), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"sets\": [\"verified\"]", with: "\"sets\": [\"verified\", \"legacy\"], \"limit\": 3")
        let spec = try BoardSpec.parse(Data(text.utf8), path: "board.json")
        // When the plan is printed for the shell and read back by bash
        let plan = BoardPlan(spec: spec).render(.shell)
        let script = #"while IFS= read -r line; do ( eval "$line"; eval "g=($GEN_ARGS)"; eval "j=($JUDGE_ARGS)"; printf '%s\x1f' "$RUN_NAME" "$SET" "$IDS" "$LIMIT" "${#g[@]}" "${g[@]}" "${#j[@]}" "${j[@]}"; echo ); done"#
        let planFile = given.folder.appendingPathComponent("plan.sh")
        try Data(plan.utf8).write(to: planFile)
        let (status, data) = try await ExternalProcess.run("bash", ["-c", script], stdin: planFile)
        #expect(status == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init) }
        // Then each run's name, set, selection and arguments come back word for word
        #expect(lines.count == 6, "\(plan)")
        for (line, run) in zip(lines, spec.runs) {
            let g = run.entry.generateArguments, j = spec.judgeArguments
            #expect(line.prefix(4) == [run.name, run.set.rawValue, "1-4,401", "3"])
            #expect(Array(line.dropFirst(4).prefix(1 + g.count + 1 + j.count)) == [String(g.count)] + g + [String(j.count)] + j, "\(line)")
        }
        #expect(spec.runs.map(\.name) == ["model-0-verified", "model-1-verified", "model-2-verified", "model-0-legacy", "model-1-legacy", "model-2-legacy"])
        // And the JSON form has the same runs
        let json = try JSONValue.read(BoardPlan(spec: spec).render(.json))
        guard case .array(let runs)? = json["runs"] else { Issue.record("no runs in \(json.json)"); return }
        #expect(runs.compactMap { $0["run"]?.string } == spec.runs.map(\.name))
    }

    @Test(.enabled(if: Tools.modelPython != nil, Comment(rawValue: Tools.Reason.modelPython)), .timeLimit(.minutes(10)))
    func aBoardOfTinyRealPipelinesIsMadeJudgedAndReportedAndNotMadeAgain() async throws {
        // Given a tiny random Stable Diffusion pipeline, run by the diffusers worker as three models (1, 2, 3 steps)
        let python = try #require(Tools.modelPython)
        let given = try Given(label: "board-tiny")
        defer { given.server.stop() }
        let model = given.folder.appendingPathComponent("tiny-sd").path
        let workers = TestCatalogue.repositoryRoot.appendingPathComponent("workers")
        let (built, _) = try await ExternalProcess.run(python, [workers.appendingPathComponent("tests/tiny_models.py").path, "stable-diffusion", model],
                                                       environment: ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "1"]) { $1 })
        #expect(built == 0)
        let models = (1...3).map { steps -> String in
            let worker = "\(python) \(workers.appendingPathComponent("diffusers_worker.py").path) --model \(model) --threads 1"
            return "{\"run\": \"tiny-sd-\(steps)\", \"generator\": \"worker\", \"options\": {\"worker-cmd\": \(jsonString(worker)), \"steps\": \(steps), \"width\": 64, \"height\": 64, \"out\": \(jsonString(given.folder.appendingPathComponent("img/\(steps)").path))}}"
        }.joined(separator: ", ")
        let spec = Data("""
            {"sets": ["verified"], "ids": "1-2", "generate_timeout": 300, "models": [\(models)],
             "judge": {"model": \(jsonString(given.server.configuration.model)), "base_urls": [\(jsonString(given.server.baseURL))],
                       "api_key_env": "BOARD_KEY", "options": {"timeout": 5, "progress-interval": 60}}}
            """.utf8)
        // When the board runs
        let recorder = ConsoleRecorder()
        try await Console.$sink.withValue(recorder) { try await given.board(spec).run() }
        // Then each model made and judged its 2 images, the images differ between models, and the board has all three
        let store = try ResultsStore(path: given.store, access: .readOnly)
        var hashes: Set<String> = []
        for steps in 1...3 {
            let run = try store.requireRun("tiny-sd-\(steps)")
            let images = try store.imageRows(run: run)
            #expect(images.count == 2 && images.allSatisfy { $0.status == .ok }, "\(images)")
            hashes.formUnion(images.compactMap(\.sha256))
            #expect(try store.judgmentRows(run: run).count == 2)
        }
        #expect(hashes.count == 6)
        #expect((1...3).allSatisfy { recorder.output.contains("tiny-sd-\($0)") } && recorder.output.contains("(published)"), "\(recorder.output)")
        // And a second run starts no worker and sends nothing
        let sent = given.server.stats.requests
        let again = ConsoleRecorder()
        try await Console.$sink.withValue(again) { try await given.board(spec).run() }
        #expect(given.server.stats.requests == sent && again.messages.contains("0 images made, 2 already made"), "\(again.messages)")
    }
}
