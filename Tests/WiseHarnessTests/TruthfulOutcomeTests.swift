import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseJudges
import WiseStore

/// How passes end when there is something left undone: generation with failed images, judging with nothing to judge.
@Suite struct TruthfulOutcomeTests {
    @Test func aGenerationWithFailedImagesReturnsAnIncompleteErrorNamingThem() async throws {
        // Given a folder generator over ids 1-3 whose folder lacks 2
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("outcome")
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: [1, 3])
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        var options = try GenerationOptions.parse(["--generator", "folder", "--images", dir.appendingPathComponent("img").path, "--ids", "1-3"])
        options.generateProgressInterval = 60
        let prepared = try options.makeGenerator(model: nil, run: "g", timeout: 10, environment: [:])
        // When generating
        let recorder = ConsoleRecorder()
        let outcome = try await Console.$sink.withValue(recorder) {
            try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: prepared, options: options,
                                     store: store, catalogue: try fixture.load(.verified))
        }
        // Then the pass returns (its summary printed) with an incomplete error naming prompt 2 sample 0
        #expect(recorder.messages.contains("2 images made, 0 already made, 1 failed"))
        #expect(outcome.summary.failed == 1 && outcome.summary.made == 2)
        let error = try #require(outcome.incomplete)
        #expect(error.kind == .incomplete)
        #expect(error.message.hasPrefix("1 of 3 images failed (prompt 2 sample 0: "), "\(error.message)")
        #expect(error.message.hasSuffix("); run the same command again to retry only those"))

        // When the missing image appears and the same command runs again (a new process: the folder is listed afresh)
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: [2])
        let rerun = try options.makeGenerator(model: nil, run: "g", timeout: 10, environment: [:])
        let again = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: rerun, options: options,
                                     store: store, catalogue: try fixture.load(.verified))
        }
        // Then only that image is made and the pass ends complete
        #expect(again.incomplete == nil && again.summary.made == 1 && again.summary.alreadyMade == 2, "\(again.summary)")

    }

    @Test func judgingARunWhoseImagesAreAllMissingIsBadDataAndSendsNothing() async throws {
        // Given a generated run whose every image is missing, and the example judge
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("outcome-judge")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("img"), withIntermediateDirectories: true)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        var options = try GenerationOptions.parse(["--generator", "folder", "--images", dir.appendingPathComponent("img").path, "--ids", "1-2"])
        options.generateProgressInterval = 60
        let prepared = try options.makeGenerator(model: nil, run: "g", timeout: 10, environment: [:])
        let run = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: prepared, options: options,
                                     store: store, catalogue: try fixture.load(.verified)).run
        }
        let example = try ExampleJudgeOptions.parse([]).makeJudge(JudgeContext(scoringProtocol: .verified, environment: [:]))
        let judgeOptions = try JudgeOptions.parse(["--progress-interval", "60"])
        // When it is judged
        let error = await #expect(throws: OutcomeError.self) {
            try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: judgeOptions, made: example) }
        }
        // Then it is bad data naming the run and the reason, and nothing was judged
        #expect(error?.kind == .badData && error?.message.contains("run 'g' has 2 images registered but none usable, e.g. prompt 1 sample 0: ") == true,
                "\(String(describing: error?.message))")
        #expect(try store.judgmentRows(run: run).isEmpty)
        // And with prompts that have no image row at all it is missing input
        let none = await #expect(throws: OutcomeError.self) {
            try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: judgeOptions, made: example, promptIDs: [7]) }
        }
        #expect(none?.kind == .missingInput && none?.message.contains("no images registered among the selected prompts") == true)
    }
}
