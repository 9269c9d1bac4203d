import Foundation
import Testing
import TestSupport
import WiseCore
import WiseGenerators
import WiseHarness
import WiseJudges
import WiseStore

/// Register → judge → report, generate → record, dry runs and stops: the orchestration driven in-process.
@Suite struct OrchestrationTests {
    static let key = "sk-test-0123456789abcdef"

    /// A fresh store with a folder of `ids` registered as run `name`.
    func registered(_ ids: ClosedRange<Int>, name: String = "r") throws -> (ResultsStore, StoredRun, TestCatalogue, URL) {
        let given = try RegisteredRun(ids, name: name, label: "orchestration")
        return (given.store, given.run, given.fixture, given.folder)
    }

    /// The openai judge for a fake server, made the way `wise judge` makes it.
    func openAIJudge(_ server: FakeJudgeServer, fixture: TestCatalogue, extra: [String] = []) throws -> (JudgeOptions, MadeJudge) {
        let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "K",
                                              "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"] + extra)
        var environment = fixture.environment
        environment["K"] = Self.key
        return (options, try options.makeJudge(scoringProtocol: .verified, environment: environment))
    }

    @Test func aRegisteredFolderIsJudgedAndReportedInProcess() async throws {
        // Given 20 registered images and a judge server that scores from the image bytes
        let (store, run, fixture, _) = try registered(1...20)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture)
        let recorder = ConsoleRecorder()
        // When the run is judged
        try await Console.$sink.withValue(recorder) { try await judgeRun(run, store: store, options: options, made: made) }
        // Then every image has the score the server derives, and the pass and the board were printed
        let rows = try store.judgmentRows(run: run)
        #expect(rows.count == 20 && rows.allSatisfy { $0.status == .ok })
        for row in rows {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: row.imagePath!))
            #expect(row.scores == FakeJudgeServer.expectedScores(for: bytes, scoringProtocol: .verified))
        }
        #expect(recorder.messages.contains("judged 20 items") && recorder.messages.contains("20 scored"))
        #expect(recorder.output.contains("WISE verified"))
        // And a second pass sends nothing
        let sent = server.stats.requests
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: options, made: made) }
        #expect(server.stats.requests == sent)
    }

    @Test func aRefusedKeyStopsThePassWithPermission() async throws {
        // Given a server that expects another key
        let (store, run, fixture, _) = try registered(1...10)
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.apiKey = "sk-other-key-0000000000"
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture, extra: ["--concurrency", "1"])
        // When judged / Then the pass stops as a permission error naming the key option, after few requests
        let error = await #expect(throws: OutcomeError.self) {
            try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: options, made: made) }
        }
        #expect(error?.kind == .permission && error?.message.contains("--api-key-env") == true)
        #expect(server.stats.requests < 10)
        #expect(!(error?.message.contains("0123456789") ?? true))
    }

    @Test func dryRunsEstimateTokensForAnAPIJudgeAndTimeForALocalOne() async throws {
        // Given a registered run
        let (store, run, fixture, _) = try registered(1...8)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (apiOptions, apiJudge) = try openAIJudge(server, fixture: fixture, extra: ["--dry-run", "--price-in", "5", "--price-out", "15"])
        let api = ConsoleRecorder()
        // When dry-run with the openai judge
        try await Console.$sink.withValue(api) { try await judgeRun(run, store: store, options: apiOptions, made: apiJudge) }
        // Then tokens and cost are estimated, and nothing was sent
        #expect(api.output.contains("dry run: 8 requests would be sent") && api.output.contains("input and") && api.output.contains("at the given prices"))
        #expect(server.stats.requests == 0)
        // When dry-run with a local judge / Then the estimate is time, with no tokens
        let local = ConsoleRecorder()
        let example = try ExampleJudgeOptions.parse([]).makeJudge(JudgeContext(scoringProtocol: .verified, environment: [:]))
        try await Console.$sink.withValue(local) {
            try await judgeRun(run, store: store, options: try JudgeOptions.parse(["--dry-run"]), made: example)
        }
        #expect(local.output.contains("dry run: 8 requests would be sent") && local.output.contains("about 0 s"))
        #expect(!local.output.contains("tokens"))
        #expect(try store.judgmentRows(run: run).isEmpty)
    }

    @Test func aDryRunNeedsNoKey() async throws {
        // Given a registered run and a key variable that is not set
        let (store, run, fixture, _) = try registered(1...3)
        let options = try JudgeOptions.parse(["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "UNSET_KEY_FOR_TEST", "--dry-run"])
        // When the judge is made for a dry run / Then it is made, and the dry run prints its estimate
        let made = try options.makeJudge(scoringProtocol: .verified, environment: fixture.environment)
        let recorder = ConsoleRecorder()
        try await Console.$sink.withValue(recorder) { try await judgeRun(run, store: store, options: options, made: made) }
        #expect(recorder.output.contains("dry run: 3 requests would be sent"))
        // And without --dry-run the missing key is refused, naming the variable
        let real = try JudgeOptions.parse(["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "UNSET_KEY_FOR_TEST"])
        #expect { try real.makeJudge(scoringProtocol: .verified, environment: fixture.environment) } throws: { "\($0)".contains("UNSET_KEY_FOR_TEST") }
    }

    @Test func anImagesAPIThatRefusesTheKeyStopsGenerationAndRecordsWhy() async throws {
        // Given an images API that answers 401 to everything
        let server = try LoopbackHTTPServer { _ in .json(#"{"error":{"message":"bad key sk-test-01234567…"}}"#, status: 401) }
        defer { server.stop() }
        let pass = try ImagesAPIRun(server: server, ids: "1-6", label: "images-401", key: Self.key)
        let store = pass.store
        // When generating
        let error = await #expect(throws: OutcomeError.self) { _ = try await pass.generate() }
        // Then the run stops at the first refusal with a permission error naming the images key option,
        // the failure is recorded for that item, and no key prefix is stored or shown
        #expect(error?.kind == .permission && error?.message.contains("--images-api-key-env") == true)
        #expect(server.requestCount == 1)
        let rows = try store.imageRows(run: try store.requireRun("g"))
        #expect(rows.count == 1 && rows[0].status == .missing && rows[0].problem?.contains("HTTP 401") == true)
        #expect(!(rows[0].problem ?? "").contains("sk-test-0") && !(error?.message ?? "").contains("sk-test-0"))
    }
}
