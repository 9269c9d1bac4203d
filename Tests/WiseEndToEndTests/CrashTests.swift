import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `kill -9` at random moments, then the same command again: a sound store, each item once.
@Suite(.serialized) struct CrashTests {
    /// Starts a command, kills it after a random delay, several times; then lets it finish.
    func killRepeatedly(_ ws: Workspace, _ arguments: [String], times: Int, maxDelay: Double, seed: UInt64) async throws -> Int {
        var rng = SplitMix(seed: seed)
        var killedMidway = 0
        for _ in 0..<times {
            let process = try ws.wise.start(arguments)
            let delay = Double(rng.next() % 1000) / 1000 * maxDelay
            try await onOwnThread { Thread.sleep(forTimeInterval: delay) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidway += 1
            }
            try await onOwnThread { process.waitUntilExit() }
        }
        let final = try await ws.run(arguments)
        #expect(final.status == 0, "\(final.stderr)")
        return killedMidway
    }

    @Test func killDuringRunThenRunAgain() async throws {
        // Given 1000 images (13 missing) and a run command
        let ws = try Workspace(label: "crash-run")
        try ImageFixtures.writeFolder(ws.path("images"), ids: (1...1000).filter { $0 % 77 != 0 })
        let args = ["run", "crashy", "--set", "verified", "--images", ws.path("images").path, "--store", ws.storePath]
        // When it is killed six times, each time once a random number of images is committed
        var rng = SplitMix(seed: 42)
        var killed = 0
        for _ in 0..<6 {
            let target = Int(rng.next() % 900) + 1
            let process = try ws.wise.start(args)
            let landed = try await killWhen(process, storePath: ws.storePath) { $0.images >= target }
            if landed { killed += 1 }
        }
        let final = try await ws.run(args)
        #expect(final.status == 0, "\(final.stderr)")
        // Then the store is sound and holds each prompt's image exactly once
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.integrityCheck() == "ok")
        let run = try store.requireRun("crashy")
        let counts = try store.counts(of: run)
        #expect(counts.images == 1000 && counts.distinctImages == 1000)
        let summary = try store.summary(of: run)
        #expect(summary.score.categories.values.map(\.missing).reduce(0, +) == 12)
        #expect(summary.score.categories.values.map(\.unjudged).reduce(0, +) == 988)
        #expect(killed >= 3, "only \(killed) kills landed while the command ran")
    }

    @Test func killDuringImportThenImportAgain() async throws {
        // Given score files for 963 prompts
        let ws = try Workspace(label: "crash-import")
        let files = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: Set((1...37).map { $0 * 25 }), seed: 8, into: "s")
        let args = ["import", "crashy", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + files.map(\.path)
        // When killed at random moments, then run again
        let start = Date()
        #expect(try await ws.run(args + ["--store", ws.path("timing.sqlite").path]).status == 0)
        let duration = max(Date().timeIntervalSince(start), 0.2)
        _ = try await killRepeatedly(ws, args, times: 6, maxDelay: duration, seed: 7)
        // Then: integrity ok, every item once, scores as imported
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.integrityCheck() == "ok")
        let run = try store.requireRun("crashy")
        let counts = try store.counts(of: run)
        #expect(counts.images == 963 && counts.distinctImages == 963 && counts.judgments == 963)
        #expect(try store.summary(of: run).score.scoredCount == 963)
        #expect(try store.runs().count == 1)
    }
}
