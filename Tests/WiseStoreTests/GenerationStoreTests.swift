import Foundation
import Testing
import WiseCore
@testable import WiseStore
import TestSupport

/// Generated images in the store, and merging stores.
@Suite struct GenerationStoreTests {
    let catalogue: Catalogue
    init() throws { catalogue = try TestCatalogue.make().load(.verified) }

    func store(_ label: String) throws -> ResultsStore {
        try ResultsStore(path: try TempDirectory.make(label).appendingPathComponent("wise.sqlite").path, create: true)
    }

    func begin(_ store: ResultsStore) throws -> StoredRun {
        let spec = RunSpec(name: "m", set: .verified, scoringProtocol: .verified,
                           generator: AdapterSpec(adapter: "worker", parameters: ["command": "w"]), catalogueHash: catalogue.contentHash)
        return try store.beginRun(spec, catalogue: catalogue).run
    }

    func image(_ seed: Int) throws -> GeneratedImage {
        let url = try TempDirectory.make("img").appendingPathComponent("\(seed).png")
        try ImageFixtures.png(seed: seed).write(to: url)
        return try GeneratedImage.inspect(path: url.path, seconds: 0.5, metadata: #"{"k":1}"#)
    }

    func judge(_ store: ResultsStore, _ run: StoredRun, promptID: Int, verdict: Result<Verdict, JudgeFailure>) async throws {
        let item = try store.pendingJudgments(run: run, judge: AdapterSpec(adapter: "j"), repeats: 1).first { $0.promptID == promptID }!
        try await store.record(JudgmentRecord(verdict: verdict, latencyMs: 1, attempts: 1), for: item, prompt: catalogue.prompt(promptID)!,
                               judge: AdapterSpec(adapter: "j"), scoringProtocol: .verified, rubricSHA256: nil)
    }

    @Test func aMadeImageIsNeverReplacedAndFailuresCountTries() async throws {
        // Given a run where prompt 1 failed once and then was made
        let store = try store("gen")
        let run = try begin(store)
        try await store.recordGeneration(run: run, promptID: 1, sampleIndex: 0, seed: 1, result: .failure(GenerationFailure("oom")))
        #expect(try store.pendingGenerations(run: run, ids: [1, 2], samples: 1) == [PendingGeneration(promptID: 1, sampleIndex: 0, retry: true),
                                                                                   PendingGeneration(promptID: 2, sampleIndex: 0, retry: false)])
        #expect(try await store.recordGeneration(run: run, promptID: 1, sampleIndex: 0, seed: 1, result: .success(image(1))))
        // When another image or a failure arrives for it / Then nothing changes
        #expect(try await !store.recordGeneration(run: run, promptID: 1, sampleIndex: 0, seed: 1, result: .success(image(2))))
        #expect(try await !store.recordGeneration(run: run, promptID: 1, sampleIndex: 0, seed: 1, result: .failure(GenerationFailure("x"))))
        let row = try store.imageRows(run: run)[0]
        #expect(row.status == .ok && row.sha256 == SHA256.hex(ImageFixtures.png(seed: 1)) && row.attempts == 2 && row.problem == nil)
        #expect(row.seconds == 0.5 && row.metadata == #"{"k":1}"# && row.seed == 1)
        #expect(try store.pendingGenerations(run: run, ids: [1], samples: 2).map(\.sampleIndex) == [1])
    }

    @Test func mergeRefusesDifferentJudgmentsAndTakesFinalOverFailed() async throws {
        // Given two shard stores with the same image for prompt 1: judged 1 in one, 0 in the other
        let a = try store("a"), b = try store("b"), into = try store("into")
        let runA = try begin(a), runB = try begin(b)
        for (store, run) in [(a, runA), (b, runB)] {
            try await store.recordGeneration(run: run, promptID: 1, sampleIndex: 0, seed: 1, result: .success(image(1)))
            try await store.recordGeneration(run: run, promptID: 2, sampleIndex: 0, seed: 2, result: .success(image(2)))
        }
        try await judge(a, runA, promptID: 1, verdict: .success(.scored(AspectScores(["score": 1]), evidence: Evidence())))
        try await judge(b, runB, promptID: 1, verdict: .success(.scored(AspectScores(["score": 0]), evidence: Evidence())))
        try await judge(a, runA, promptID: 2, verdict: .failure(JudgeFailure(reason: "HTTP 500")))
        try await judge(b, runB, promptID: 2, verdict: .success(.scored(AspectScores(["score": 1]), evidence: Evidence())))
        // When merged / Then the clash on prompt 1 is named and nothing is written
        let before = try into.contentDigest()
        #expect { try into.merge(from: [a.path, b.path]) } throws: { "\($0)".contains("prompt 1 has judgment ok") }
        #expect(try into.contentDigest() == before)
        // When a store that agrees on prompt 1 and has a verdict for prompt 2 is merged / Then the final verdict replaces the failed one
        let c = try store("c")
        let runC = try begin(c)
        try await c.recordGeneration(run: runC, promptID: 2, sampleIndex: 0, seed: 2, result: .success(image(2)))
        try await judge(c, runC, promptID: 2, verdict: .success(.scored(AspectScores(["score": 1]), evidence: Evidence())))
        let summary = try into.merge(from: [a.path, c.path])
        #expect(summary.runs == 1 && summary.images == 2)
        let rows = try into.judgmentRows(run: into.requireRun("m"))
        #expect(rows.map(\.promptID) == [1, 2] && rows.allSatisfy { $0.status == .ok })
    }
}
