import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseJudges
import WiseStats
import WiseStore

/// Adaptive judging in-process against a loopback judge whose answers are known: it stops at its
/// target or budget, takes the same seeded, stratified items for every run, leaves a report that
/// says it is an estimate, and a plain pass later judges only the rest.
@Suite struct AdaptiveJudgingTests {
    static let key = "sk-test-0123456789abcdef"

    /// A store with one verified run per rate over every prompt of the set: run r's image of a
    /// prompt is chosen so that the loopback judge scores it 1 with probability `rates[r]`, and
    /// no two images are the same (so no answer is copied from another run).
    func board(_ label: String, rates: [Double]) throws -> (store: ResultsStore, runs: [StoredRun], fixture: TestCatalogue, catalogue: Catalogue) {
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let folder = try TempDirectory.make("adaptive-\(label)")
        let store = try ResultsStore(path: folder.appendingPathComponent("s.sqlite").path, create: true)
        var random = SplitMix(seed: 5)
        var seed = 1
        var runs: [StoredRun] = []
        for (r, rate) in rates.enumerated() {
            let images = folder.appendingPathComponent("run\(r)")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            for prompt in catalogue.prompts {
                let wanted: Double = random.nextUnit() < rate ? 1 : 0
                while FakeJudgeServer.expectedScores(for: ImageFixtures.png(seed: seed), scoringProtocol: .verified)["score"] != wanted { seed += 1 }
                try ImageFixtures.png(seed: seed).write(to: images.appendingPathComponent("\(prompt.id).png"))
                seed += 1
            }
            let registration = FolderRegistration(name: "run\(r)", set: .verified, scoringProtocol: nil, images: images.path, strict: false)
            runs.append(try Console.$sink.withValue(ConsoleRecorder()) {
                try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
            })
        }
        return (store, runs, fixture, catalogue)
    }

    /// The openai judge for the loopback server, made as `wise judge` makes it.
    func openAIJudge(_ server: FakeJudgeServer, fixture: TestCatalogue, _ extra: [String] = []) throws -> (JudgeOptions, MadeJudge) {
        let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "K",
                                              "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"] + extra)
        var environment = fixture.environment
        environment["K"] = Self.key
        return (options, try options.makeJudge(scoringProtocol: .verified, environment: environment))
    }

    /// The prompt ids of a run that have a judgment.
    func judgedIDs(_ store: ResultsStore, _ run: StoredRun) throws -> Set<Int> {
        Set(try store.judgmentRows(run: run).map(\.promptID))
    }

    @Test func threeRunsFarApartStopWhenSeparatedOnTheSameSeededStratifiedItemsAndAPlainPassCompletesThem() async throws {
        // Given three runs the judge scores at about 90%, 50% and 10%
        let (store, runs, fixture, catalogue) = try board("separated", rates: [0.9, 0.5, 0.1])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture)
        let adaptive = try AdaptiveOptions.parse(["--until", "separated", "--check-every", "50", "--min-items", "100",
                                                  "--adaptive-resamples", "500", "--order-seed", "11"])
        // When they are judged adaptively until their rank intervals separate
        let recorder = ConsoleRecorder()
        let outcome = try await Console.$sink.withValue(recorder) {
            let outcome = try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: adaptive, made: made)!
            try AdaptiveJudging.printOutcome(outcome, runs: runs, store: store, options: options)
            return outcome
        }
        // Then the pass stopped at the first look allowed, 100 of 1000 items per run, with the target met
        #expect(outcome.ending == .target(.separated))
        #expect(outcome.items == 100 && outcome.population == 1000)
        #expect(outcome.sent == 300 && server.stats.requests == 300)
        #expect(outcome.check?.order == [0, 1, 2] && outcome.check?.separated == [true, true])
        // And the items are the first 100 of the seeded stratified order, the same for every run:
        // 40 of CULTURE's 400 and 12 of each other category's 120
        let strata = Category.allCases.map { c in catalogue.prompts.filter { $0.category == c }.map(\.id) }
        let expected = Array(StratifiedOrder.order(strata, seed: 11).prefix(100))
        #expect(outcome.order == expected)
        for run in runs { #expect(try judgedIDs(store, run) == Set(expected)) }
        let byCategory = Dictionary(grouping: expected) { catalogue.prompt($0)!.category }.mapValues(\.count)
        #expect(byCategory == [.culture: 40, .time: 12, .space: 12, .biology: 12, .physics: 12, .chemistry: 12])
        #expect(expected != Array(StratifiedOrder.order(strata, seed: 12).prefix(100)))
        // And the report says it is an estimate from 100 of 1000 items, never a full score
        var report = try RunReport(store: store, runs: runs.map(\.name), judgeKey: nil)
        report.environment = fixture.environment
        let out = try TempDirectory.make("adaptive-report")
        try Console.$sink.withValue(ConsoleRecorder()) {
            try report.writeBoard(format: .terminal, decimals: nil, prices: nil, resamples: 100, seed: 1, allowMixed: false, out: out.appendingPathComponent("board.txt").path)
            try report.writeBoard(format: .json, decimals: nil, prices: nil, resamples: 100, seed: 1, allowMixed: false, out: out.appendingPathComponent("board.json").path)
            try report.writeBoard(format: .html, decimals: nil, prices: nil, resamples: 100, seed: 1, allowMixed: false, out: out.appendingPathComponent("html").path)
        }
        let index = try String(contentsOf: out.appendingPathComponent("html/index.html"), encoding: .utf8)
        #expect(index.contains("run0: the overall is an estimate from 100 of 1000 items") && index.contains("not a full WISE score"))
        let text = try String(contentsOf: out.appendingPathComponent("board.txt"), encoding: .utf8)
        #expect(text.contains("run0: the overall is an estimate from 100 of 1000 items") && text.contains("not a full WISE score"), "\(text)")
        let json = try String(contentsOf: out.appendingPathComponent("board.json"), encoding: .utf8).filter { !$0.isWhitespace }
        #expect(json.contains("\"estimate_from_items\":100"))
        #expect(recorder.output.contains("estimate from 100 of 1000 items") && recorder.messages.contains("stopped, target separated met"),
                "\(recorder.output)\n\(recorder.messages)")
        // When run0 is completed by a plain pass
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(runs[0], store: store, options: options, made: made) }
        // Then only the 900 items left were sent, and its report is a full score again
        #expect(server.stats.requests == 300 + 900)
        #expect(try judgedIDs(store, runs[0]).count == 1000)
        try Console.$sink.withValue(ConsoleRecorder()) {
            try RunReport(store: store, runs: ["run0"], judgeKey: nil)
                .writeBoard(format: .terminal, decimals: nil, prices: nil, resamples: 0, seed: 1, allowMixed: false, out: out.appendingPathComponent("full.txt").path)
        }
        #expect(!(try String(contentsOf: out.appendingPathComponent("full.txt"), encoding: .utf8)).contains("estimate"))
    }

    @Test func aBudgetOfJudgmentsStopsThePassAndARepeatedPassResumesInTheSameOrder() async throws {
        // Given one run and a target it cannot reach quickly
        let (store, runs, fixture, _) = try board("budget", rates: [0.5])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture)
        let adaptive = try AdaptiveOptions.parse(["--until", "width=0.001", "--max-judgments", "130", "--check-every", "50", "--adaptive-resamples", "200"])
        // When it is judged adaptively with a budget of 130 judgments
        let outcome = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: adaptive, made: made)
        }!
        // Then exactly 130 requests were sent, and the pass says the budget ended it
        #expect(outcome.ending == .budget && outcome.sent == 130 && outcome.items == 130)
        #expect(server.stats.requests == 130)
        // When the same command runs again with a larger budget
        let more = try AdaptiveOptions.parse(["--until", "width=0.001", "--max-judgments", "200", "--check-every", "50", "--adaptive-resamples", "200"])
        let second = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: more, made: made)
        }!
        // Then the 130 items judged are the start of the same order and are not sent again
        #expect(Array(second.order.prefix(130)) == outcome.order)
        #expect(second.sent == 200 && server.stats.requests == 330 && second.items == 330)
    }

    @Test func aBudgetInMoneyStopsThePassNearItAtTheGivenPrices() async throws {
        // Given one run, the loopback judge (which reports the tokens of each request) and a price of 1000 per million input tokens
        let (store, runs, fixture, _) = try board("cost", rates: [0.5])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (_, made) = try openAIJudge(server, fixture: fixture)
        let options = try JudgeOptions.parse(["--price-in", "1000", "--price-out", "0"])
        let adaptive = try AdaptiveOptions.parse(["--until", "width=0.001", "--max-cost", "20", "--check-every", "50", "--adaptive-resamples", "200"])
        // When it is judged adaptively with at most 20 to spend
        let outcome = try await Console.$sink.withValue(ConsoleRecorder()) {
            try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: adaptive, made: made)
        }!
        // Then the budget ended the pass, having spent most of it and not more than a request's worth over it
        let spent = options.prices!.cost(outcome.usage)
        let each = spent / Double(outcome.sent)
        #expect(outcome.ending == .budget && outcome.sent == server.stats.requests)
        #expect(spent <= 20 + each && spent > 20 - 2 * each, "spent \(spent) on \(outcome.sent) requests")
        // And without prices the budget is refused before anything is sent
        await #expect(throws: UsageError.self) {
            try await AdaptiveJudging.judge(runs, store: store, options: try JudgeOptions.parse([]), adaptive: adaptive, made: made)
        }
        #expect(server.stats.requests == outcome.sent)
    }

    @Test func separatedNeedsTwoRunsAndRepeatsAreRefused() async throws {
        let (store, runs, fixture, _) = try board("refused", rates: [0.5])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture)
        await #expect(throws: UsageError.self) {
            try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: try AdaptiveOptions.parse(["--until", "separated"]), made: made)
        }
        #expect(throws: (any Error).self) { try AdaptiveOptions.parse(["--until", "narrow"]) }
        #expect(server.stats.requests == 0)
    }

    @Test func aServedModelChangingDuringAnAdaptivePassStopsItUnderOnDriftStop() async throws {
        // Given two runs and a judge whose replies name another model from the 31st request on
        let (store, runs, fixture, _) = try board("drift", rates: [0.9, 0.1])
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.change = FakeJudgeServer.ServedChange(after: 30, servedAs: "judge-model-2025-06")
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let (options, made) = try openAIJudge(server, fixture: fixture, ["--on-drift", "stop", "--concurrency", "1"])
        let adaptive = try AdaptiveOptions.parse(["--until", "separated", "--check-every", "50", "--min-items", "100"])
        // When they are judged adaptively with --on-drift stop
        var caught: OutcomeError?
        do {
            _ = try await Console.$sink.withValue(ConsoleRecorder()) {
                try await AdaptiveJudging.judge(runs, store: store, options: options, adaptive: adaptive, made: made)
            }
        } catch let error as OutcomeError { caught = error }
        // Then the pass stops on the change (exit 75), as a plain pass does, keeping the 30 verdicts before it,
        let error = try #require(caught)
        #expect(error.kind == .incomplete && error.message.hasPrefix("judging stopped: the served model changed"), "\(error.message)")
        let rows = try runs.flatMap { try store.judgmentRows(run: $0) }
        #expect(rows.filter { $0.status == .ok }.count == 30 && rows.allSatisfy { $0.status != .ok || $0.servedModel == "judge-model" })
        // and nothing more was asked than the one request in flight per run when the change came
        #expect((31...32).contains(server.stats.requests), "\(server.stats.requests)")
    }
}
