import Foundation
import Synchronization
import Testing
import WiseCore
import WiseStore
import WiseRunner
import TestSupport

/// A judge that scores everything and calls `whileJudging` inside each call (to ask the runner to stop mid-pass).
final class StoppingJudge: Judge {
    let spec = AdapterSpec(adapter: "stopping", parameters: [:])
    let whileJudging = Mutex<@Sendable () -> Void>({})

    func judge(_ request: JudgeRequest) async throws -> Verdict {
        whileJudging.withLock { $0 }()
        try await Task.sleep(for: .milliseconds(5))
        return .scored(AspectScores(["score": 1]), evidence: Evidence(replies: ["Score: 1"], usage: TokenUsage(input: 1, output: 1)))
    }
}

/// What `requestStop()` (SIGINT/SIGTERM in `wise judge`) does to a pass, wherever it falls.
@Suite struct StopTests {
    /// A verified run of `count` registered images and a runner judging it with `judge`.
    func runner(images count: Int, concurrency: Int, judge: StoppingJudge) throws -> JudgeRunner {
        let catalogue = try TestCatalogue.make().load(.verified)
        let dir = try TempDirectory.make("stop")
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: 1...count)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let spec = RunSpec(name: "s", set: .verified, scoringProtocol: .verified, generator: AdapterSpec(adapter: "folder"), catalogueHash: catalogue.contentHash)
        let (run, _) = try store.beginRun(spec, catalogue: catalogue)
        _ = try store.registerImages(run: run, records: try ImageFolder(directory: dir.appendingPathComponent("img")).scan(ids: catalogue.prompts.map(\.id)).entries)
        return JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: nil, options: .init(concurrency: concurrency))
    }

    @Test func aStopLeavesTheUntakenItemsPendingAndSaysSo() async throws {
        // Given 40 images, two judged at a time, and a stop asked for during the first judge call
        let judge = StoppingJudge()
        let runner = try runner(images: 40, concurrency: 2, judge: judge)
        judge.whileJudging.withLock { $0 = { runner.requestStop() } }
        // When judged
        let summary = try await runner.judgeAll()
        // Then the two in flight finished, the rest is left for the next pass, and the summary says it stopped
        #expect(summary.stopped && summary.scored == 2)
        #expect(try runner.plan().pending.count == 38)
    }

    @Test func aStopAfterTheLastItemWasTakenEndsNothingEarly() async throws {
        // Given 10 images, all taken at once, and a stop asked for during every judge call (the race of a
        // signal with the end of a pass: every item is already under way when the stop comes)
        let judge = StoppingJudge()
        let runner = try runner(images: 10, concurrency: 16, judge: judge)
        judge.whileJudging.withLock { $0 = { runner.requestStop() } }
        // When judged
        let summary = try await runner.judgeAll()
        // Then every item got its outcome, and the pass is not reported as stopped (nothing is left to resume)
        #expect(summary.scored == 10 && !summary.stopped)
        #expect(try runner.plan().pending.isEmpty)
    }
}
