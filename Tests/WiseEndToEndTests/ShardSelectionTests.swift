import Foundation
import Testing
import WiseStore
import TestSupport

/// `wise judge --shard I/N` judges exactly what `wise generate --shard I/N` made, even when the
/// selection (`--ids`) was given to generate only, as a cluster recipe easily does.
@Suite struct ShardSelectionTests {
    static let key = "sk-test-0123456789abcdef"
    /// Ids whose round-robin split differs from the split of all 1000 ids (1–10 then 21–30).
    static let ids = "1-10,21-30"

    /// Generates run `r` with the command adapter (a real `cp` per image) into `store`.
    func generate(_ ws: Workspace, _ extra: [String], store: String) async throws {
        let result = try await ws.run(["generate", "r", "--set", "verified", "--generator", "command",
                                       "--argv", "cp \(ws.path("fixture.png").path) {out}", "--ids", Self.ids,
                                       "--out", ws.path("img").path, "--store", store] + extra)
        #expect(result.status == 0, "\(result.stderr)")
    }

    func judgedIDs(_ store: String) throws -> [Int] {
        let opened = try ResultsStore(path: store, create: false)
        return try opened.judgmentRows(run: try opened.requireRun("r")).filter { $0.status == .ok }.map(\.promptID).sorted()
    }

    func imageIDs(_ store: String) throws -> [Int] {
        let opened = try ResultsStore(path: store, create: false)
        return try opened.imageRows(run: try opened.requireRun("r")).map(\.promptID).sorted()
    }

    @Test func aShardJudgedWithoutTheIdsItWasGeneratedWithIsJudgedWhole() async throws {
        // Given 4 shard stores of a run generated with --ids 1-10,21-30 --shard I/4, and a loopback judge
        let ws = try Workspace(label: "shardsel", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.png(seed: 3).write(to: ws.path("fixture.png"))
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let judge = ["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "WISE_TEST_KEY"]
        var generated: [Int] = []
        for shard in 0..<4 {
            let store = ws.path("s\(shard).sqlite").path
            try await generate(ws, ["--shard", "\(shard)/4"], store: store)
            // When each store is judged with --shard I/4 alone (no --ids)
            let judged = try await ws.run(["judge", "r", "--shard", "\(shard)/4", "--store", store] + judge)
            // Then it exits 0 having judged every image the shard made, and says whose ids it judged
            #expect(judged.status == 0, "\(judged.stderr)")
            #expect(try judgedIDs(store) == imageIDs(store), "shard \(shard): \(judged.stderr)")
            #expect(judged.stderr.contains("generated for shard \(shard)/4 (ids 1–10, 21–30; shard \(shard)/4)"), "\(judged.stderr)")
            #expect(!judged.stderr.contains("outside this selection"), "\(judged.stderr)")
            generated += try imageIDs(store)
            // And the same --ids with the shard selects the same ids: nothing is left to judge
            let again = try await ws.run(["judge", "r", "--ids", Self.ids, "--shard", "\(shard)/4", "--store", store] + judge)
            #expect(again.status == 0 && again.stderr.contains("judged 0 items"), "\(again.stderr)")
        }
        // And the shards together made (and judged) all 20 ids once each
        #expect(generated.sorted() == Array(1...10) + Array(21...30))
    }

    @Test func judgeShardsOfAnUnshardedRunSplitTheIdsItAskedFor() async throws {
        // Given one store generated with --ids 1-10,21-30, unsharded
        let ws = try Workspace(label: "shardsel2", extraEnvironment: ["WISE_TEST_KEY": Self.key])
        try ImageFixtures.png(seed: 4).write(to: ws.path("fixture.png"))
        try await generate(ws, [], store: ws.storePath)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let judge = ["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "WISE_TEST_KEY", "--store", ws.storePath]
        // When shard 0 of 3 is judged alone / Then it judges every third of the 20 ids asked for (not of all 1000)
        let first = try await ws.run(["judge", "r", "--shard", "0/3"] + judge)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try judgedIDs(ws.storePath) == [1, 4, 7, 10, 23, 26, 29])
        // And it says how many images it leaves to the other shards
        #expect(first.stderr.contains("13 images of run r lie outside this selection and are left to another pass (prompts 2–3, 5–6, 8–9, 21–22, 24–25, 27–28, 30)"),
                "\(first.stderr)")
        // And shards 1 and 2 of 3 complete the run
        for shard in ["1/3", "2/3"] { #expect(try await ws.run(["judge", "r", "--shard", shard] + judge).status == 0) }
        #expect(try judgedIDs(ws.storePath) == Array(1...10) + Array(21...30))
    }
}
