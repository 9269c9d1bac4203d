import Foundation
import Testing
import TestSupport
import WiseCore
import WiseStore

/// `wise board run` as a process: a 3-model board killed with SIGKILL mid-way and run again ends
/// equal to one that was never stopped, with no image made or judgment sent more than the kill
/// can explain; a bad spec is one line and no store.
@Suite struct BoardCommandTests {
    static let key = FakeJudgeServer.Configuration(scoringProtocol: .verified).apiKey!

    /// A workspace with three PNGs and a board spec of three command models on ids 1-8 (each call
    /// logged to calls.log, slowed a little so a kill lands mid-way), judged by `server`.
    func workspace(_ server: FakeJudgeServer, label: String) throws -> (Workspace, URL) {
        let space = try Workspace(label: label, extraEnvironment: ["BOARD_KEY": Self.key])
        let dir = space.root.path
        for k in 0..<3 { try ImageFixtures.png(seed: 200 + k).write(to: space.path("m\(k).png")) }
        let models = (0..<3).map { k -> String in
            let argv = "/bin/sh -c 'echo \"\(k) $1\" >> \(dir)/calls.log; sleep 0.05; exec cp \(dir)/m\(k).png \"$2\"' sh {id} {out}"
            return "{\"run\": \"model-\(k)\", \"generator\": \"command\", \"options\": {\"argv\": \(jsonString(argv)), \"jobs\": 2}}"
        }.joined(separator: ", ")
        let spec = space.path("board.json")
        try Data("""
            {"sets": ["verified"], "ids": "1-8", "models": [\(models)],
             "judge": {"model": \(jsonString(server.configuration.model)), "base_urls": [\(jsonString(server.baseURL))],
                       "api_key_env": "BOARD_KEY", "options": {"retry-base-delay": 0.01, "timeout": 5, "concurrency": 2}}}
            """.utf8).write(to: spec)
        return (space, spec)
    }

    /// Each run's items: image hash and scores by prompt id.
    func items(_ path: String) throws -> [String: [Int: String]] {
        let store = try ResultsStore(path: path, access: .readOnly)
        var out: [String: [Int: String]] = [:]
        for run in try store.runs() {
            let hashes = Dictionary(uniqueKeysWithValues: try store.imageRows(run: run).map { ($0.promptID, $0.sha256 ?? "none") })
            for row in try store.judgmentRows(run: run) {
                out[run.name, default: [:]][row.promptID] = "\(hashes[row.promptID] ?? "none") \(row.scores.map { "\($0.values.sorted { $0.key < $1.key })" } ?? "unscored")"
            }
        }
        return out
    }

    @Test func aBoardKilledMidwayResumesToTheSameBoardAsOneNeverStopped() async throws {
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        // Given a board run once without a stop, as the reference
        let (reference, referenceSpec) = try workspace(server, label: "board-ref")
        let whole = try await reference.run(["board", "run", referenceSpec.path, "--store", reference.storePath, "--resamples", "100"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("model-2") && whole.stdout.contains("(published)"), "\(whole.stdout)")
        let referenceRequests = server.stats.requests
        #expect(referenceRequests == 24)

        // When the same board is killed once model 1 is half made
        let (space, spec) = try workspace(server, label: "board-kill")
        let process = try space.wise.start(["board", "run", spec.path, "--store", space.storePath, "--resamples", "100"],
                                           stdout: FileHandle.nullDevice, stderr: FileHandle.nullDevice)
        let landed = try await killWhen(process, storePath: space.storePath) { $0.images >= 12 }
        #expect(landed, "the board finished before the kill")
        let atKill = ResultsStore.peekCounts(atPath: space.storePath)
        #expect((atKill?.images ?? 0) < 24 && (atKill?.judgments ?? 0) >= 8, "\(String(describing: atKill))")
        // And run again
        let resumed = try await space.run(["board", "run", spec.path, "--store", space.storePath, "--resamples", "100"])
        // Then it ends with the full board, equal item for item to the one never stopped
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("model-0") && resumed.stdout.contains("published verified board"), "\(resumed.stdout)")
        let got = try items(space.storePath), expected = try items(reference.storePath)
        #expect(got.count == 3 && got.values.allSatisfy { $0.count == 8 } && got == expected, "\(got)")
        // And nothing was made or sent twice beyond what was in flight at the kill (2 images, 2 requests)
        let calls = try String(contentsOf: space.path("calls.log"), encoding: .utf8).split(separator: "\n")
        let perItem = Dictionary(calls.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(perItem.count == 24 && calls.count <= 24 + 2 && perItem.values.allSatisfy { $0 <= 2 }, "\(calls.count) calls")
        #expect(server.stats.requests - referenceRequests <= 24 + 2, "\(server.stats.requests - referenceRequests)")
    }

    @Test func aBadSpecIsOneLineAndWritesNoStore() async throws {
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (space, _) = try workspace(server, label: "board-bad")
        let spec = space.path("bad.json")
        try Data(#"{"sets": ["verified"], "models": [{"model": "x", "options": {"gpus": [0, 1], "samples": 2}}], "judge": {}}"#.utf8).write(to: spec)
        // When run / Then one line names the field, exit 64, no store, no call
        let result = try await space.run(["board", "run", spec.path, "--store", space.storePath])
        #expect(result.status == 64 && result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("models[0].options.samples is set for the whole board"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: space.storePath))
        // And the plan refuses it the same way
        let plan = try await space.run(["board", "plan", spec.path])
        #expect(plan.status == 64 && plan.stdout.isEmpty && plan.stderr.contains("models[0].options.samples"), "\(plan.stderr)")
    }
}
