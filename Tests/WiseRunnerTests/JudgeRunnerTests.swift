import Foundation
import Synchronization
import Testing
import WiseCore
import WiseStore
@testable import WiseRunner
import TestSupport

/// A judge that answers from the prompt id, in process, and records how many calls overlap.
final class ScriptedJudge: Judge {
    let spec = AdapterSpec(adapter: "scripted", parameters: ["v": "1"])
    let inFlight = Atomic<Int>(0)
    let peak = Atomic<Int>(0)
    let calls = Atomic<Int>(0)

    func judge(_ request: JudgeRequest) async throws -> Verdict {
        calls.add(1, ordering: .relaxed)
        let now = inFlight.add(1, ordering: .relaxed).newValue
        peak.max(now, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        try await Task.sleep(for: .milliseconds(2))
        switch request.prompt.id % 10 {
        case 3: throw JudgeFailure(reason: "HTTP 503: busy", status: 503)
        case 7: return .unscored(reason: "no score", evidence: Evidence(replies: ["hmm"], usage: TokenUsage(input: 10, output: 1)))
        default: return .scored(AspectScores(["score": Double(request.prompt.id % 2)]),
                                evidence: Evidence(replies: ["Score: \(request.prompt.id % 2)"], usage: TokenUsage(input: 10, output: 2)))
        }
    }
}

@Suite struct JudgeRunnerTests {
    @Test func judgesEverythingOnceWithinTheConcurrencyCap() async throws {
        // Given a run of 100 images
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let dir = try TempDirectory.make("runner")
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: 1...100)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let spec = RunSpec(name: "r", set: .verified, scoringProtocol: .verified, generator: AdapterSpec(adapter: "folder"), catalogueHash: catalogue.contentHash)
        let (run, _) = try store.beginRun(spec, catalogue: catalogue)
        let scan = try ImageFolder(directory: dir.appendingPathComponent("img")).scan(ids: catalogue.prompts.map(\.id))
        _ = try store.registerImages(run: run, records: scan.entries)
        let judge = ScriptedJudge()
        let runner = JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: nil, options: .init(repeats: 2, concurrency: 7))
        // When judged
        let summary = try await runner.judgeAll()
        // Then every (image, repeat) has one judgment, the cap held, and failures wait for the next pass
        #expect(summary.pending == 200 && summary.scored == 160 && summary.unscored == 20 && summary.failed == 20)
        #expect(judge.peak.load(ordering: .relaxed) <= 7 && judge.peak.load(ordering: .relaxed) >= 2)
        let rows = try store.judgmentRows(run: run)
        #expect(rows.count == 200)
        #expect(try runner.plan().pending.count == 20)
        // When judged again / Then only the 20 failed items are asked again
        let again = try await runner.judgeAll()
        #expect(again.pending == 20 && judge.calls.load(ordering: .relaxed) == 220)
        #expect(try store.judgmentRows(run: run).count == 200)
    }
}

/// A judge without tokens or replies, like CLIP: continuous measurements turned into a binary score.
struct MeasuringJudge: Judge {
    let spec = AdapterSpec(adapter: "measuring", parameters: ["threshold": "0.5"])
    var provenance: String? { "local" }

    func judge(_ request: JudgeRequest) async throws -> Verdict {
        let similarity = Double(request.prompt.id % 10) / 10
        let evidence = Evidence(measurements: ["similarity": similarity, "raw": similarity * 2.5])
        return similarity >= 0.5 ? .scored(AspectScores(["score": 1]), evidence: evidence) : .scored(AspectScores(["score": 0]), evidence: evidence)
    }
}

@Suite struct EvidenceTests {
    @Test func aJudgeWithoutTokensKeepsItsMeasurementsAndTheCacheCopiesThem() async throws {
        // Given two runs of the same 20 images and a judge that reports only measurements
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let dir = try TempDirectory.make("evidence")
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: 1...20)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let scan = try ImageFolder(directory: dir.appendingPathComponent("img")).scan(ids: catalogue.prompts.map(\.id))
        var runs: [StoredRun] = []
        for name in ["a", "b"] {
            let spec = RunSpec(name: name, set: .verified, scoringProtocol: .verified, generator: AdapterSpec(adapter: "folder", parameters: ["n": name]),
                               catalogueHash: catalogue.contentHash)
            let (run, _) = try store.beginRun(spec, catalogue: catalogue)
            _ = try store.registerImages(run: run, records: scan.entries)
            runs.append(run)
        }
        // When the first run is judged, then the second (answered from the store)
        let first = try await JudgeRunner(store: store, run: runs[0], judge: MeasuringJudge(), rubricSHA256: nil, options: .init()).judgeAll()
        let second = try await JudgeRunner(store: store, run: runs[1], judge: MeasuringJudge(), rubricSHA256: nil, options: .init()).judgeAll()
        // Then every judgment holds the measurements, no tokens and the provenance, in both runs
        #expect(first.scored == 20 && second.reused == 20 && second.pending == 0)
        for run in runs {
            let rows = try store.judgmentRows(run: run)
            #expect(rows.count == 20)
            for row in rows {
                let expected = Double(row.promptID % 10) / 10
                #expect(row.measurements == ["similarity": expected, "raw": expected * 2.5], "prompt \(row.promptID)")
                #expect(row.scores?["score"] == (expected >= 0.5 ? 1 : 0))
                #expect(row.rawReply == nil && row.endpoint == "local")
            }
        }
    }
}

@Suite struct ProgressMeterTests {
    @Test func plainLinesWhenNotATerminal() throws {
        // Given a meter writing to a pipe (not a terminal), one line per update
        let pipe = Pipe()
        let meter = ProgressMeter(label: "judging m", output: pipe.fileHandleForWriting, interactive: false, interval: 0)
        meter.start(total: 4)
        // When two of four items finish, one of them failed, then all four
        meter.update(done: 2, failed: 1, unscored: 0)
        meter.update(done: 4, failed: 1, unscored: 1)
        meter.finish()
        try pipe.fileHandleForWriting.close()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        // Then each line says done/total, percent, rate, ETA and the failures, with no control characters,
        // and the 100% line is printed once (finish does not repeat it)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.filter { $0.contains("100%") }.count == 1, "\(lines)")
        #expect(lines[0].hasPrefix("judging m  2/4  50%  ") && lines[0].hasSuffix("failed 1  unscored 0"))
        #expect(lines[1].hasPrefix("judging m  4/4  100%  ") && lines[1].contains("ETA —"))
        #expect(!lines.joined().contains("\u{1B}") && !lines.joined().contains("\r"))
    }

    @Test func finishPrintsTheLastStateOnceWhenItWasNotYetShown() throws {
        // Given a meter that prints a line every minute
        let pipe = Pipe()
        let meter = ProgressMeter(label: "generating g", output: pipe.fileHandleForWriting, interactive: false, interval: 60)
        meter.start(total: 4)
        // When one item is done and the pass stops there, finished twice
        meter.update(done: 1, failed: 0, unscored: 0)
        meter.finish()
        meter.finish()
        try pipe.fileHandleForWriting.close()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        // Then the state at the stop is printed once
        #expect(lines.count == 1 && lines[0].hasPrefix("generating g  1/4  25%  "), "\(lines)")
    }
}

/// Counts how many times it hashed, to show which images were hashed again while judging.
final class CountingHasher: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var calls: Int { lock.lock(); defer { lock.unlock() }; return count }
    func hex(_ data: Data) -> String {
        lock.lock(); count += 1; lock.unlock()
        return SHA256.hex(data)
    }
}

@Suite struct HashOnceTests {
    @Test func imagesUnchangedSinceRegistrationAreNotHashedAgainAndAChangedOneIsCaught() async throws {
        // Given 10 registered images, judged with 3 repeats
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let dir = try TempDirectory.make("hash-once")
        let images = dir.appendingPathComponent("img")
        try ImageFixtures.writeFolder(images, ids: 1...10)
        try await Task.sleep(for: .milliseconds(10))
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let spec = RunSpec(name: "h", set: .verified, scoringProtocol: .verified, generator: AdapterSpec(adapter: "folder"), catalogueHash: catalogue.contentHash)
        let (run, _) = try store.beginRun(spec, catalogue: catalogue)
        _ = try store.registerImages(run: run, records: try ImageFolder(directory: images).scan(ids: catalogue.prompts.map(\.id)).entries)
        // When image 3 is rewritten with other bytes of the same size after registration, and all are judged
        try await Task.sleep(for: .milliseconds(10))
        try ImageFixtures.png(seed: 333).write(to: images.appendingPathComponent("3.png"))
        let hasher = CountingHasher()
        let summary = try await JudgeRunner(store: store, run: run, judge: MeasuringJudge(), rubricSHA256: nil,
                                            options: .init(repeats: 3), hash: hasher.hex).judgeAll()
        // Then only the rewritten image was hashed (once per repeat, since it never matched), and it failed as changed
        #expect(hasher.calls == 3)
        #expect(summary.scored == 27 && summary.failed == 3)
        let failed = try store.judgmentRows(run: run).filter { $0.status == .failed }
        #expect(failed.count == 3 && failed.allSatisfy { $0.promptID == 3 && $0.error!.contains("changed since it was registered") })
    }
}
