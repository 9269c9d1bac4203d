import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStats
import WiseStore

/// `wise agreement` with three judges, in-process: a real store judged by three loopback judge servers.
@Suite struct AgreementOfManyJudgesTests {
    @Test func threeJudgesAreComparedAtOnceAndOneJudgeTwiceIsRefused() async throws {
        // Given 30 registered verified images judged by three servers whose replies each move by chance
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("agreement-many")
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: 1...30)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let registration = FolderRegistration(name: "m", set: .verified, scoringProtocol: nil, images: dir.appendingPathComponent("img").path, strict: false)
        let catalogue = try fixture.load(.verified)
        let run = try Console.$sink.withValue(ConsoleRecorder()) {
            try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
        }
        for (n, model) in ["judge-a", "judge-b", "judge-c"].enumerated() {
            var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
            configuration.model = model
            configuration.jitter = 0.3
            configuration.seed = UInt64(n + 1)
            let server = try FakeJudgeServer(configuration)
            defer { server.stop() }
            let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", model, "--api-key-env", "K",
                                                  "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"])
            var environment = fixture.environment
            environment["K"] = configuration.apiKey
            let made = try options.makeJudge(scoringProtocol: .verified, environment: environment)
            try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: options, made: made) }
        }
        let specs = try store.judges(of: run).map(\.spec)
        let keys = ["judge-a", "judge-b", "judge-c"].map { model in String(specs.first { $0.parameters["model"] == model }!.key.prefix(8)) }

        // When the three judges are compared
        let text = try Studies.agreement(store: store, runs: ["m"], judges: keys.joined(separator: ","), judgeFamilies: [],
                                         resamples: 300, seed: 2, format: .json)
        guard case .object(let top) = try JSONValue.read(text) else { Issue.record("not an object"); return }
        let json = Dictionary(top, uniquingKeysWith: { a, _ in a })
        // Then α on the verified score is Krippendorff's α of the three judges' stored scores, with its interval
        let rows = try store.judgmentRows(run: run).filter { $0.status == .ok }
        let grid: [[Double?]] = ["judge-a", "judge-b", "judge-c"].map { model in
            (1...30).map { id in rows.first { $0.promptID == id && $0.servedModel == model }?.scores?["score"] }
        }
        let expected = try #require(try KrippendorffAlpha.interval(grid, level: .nominal, bootstrap: ItemBootstrap(resamples: 300, seed: 2)))
        guard case .array(let measures)? = json["measures"], case .object(let first)? = measures.first else { Issue.record("measures"); return }
        let score = Dictionary(first, uniquingKeysWith: { a, _ in a })
        #expect(score["measure"] == .string("score") && score["alpha"] == .number(expected.estimate))
        guard case .object(let interval)? = score["alpha_interval"] else { Issue.record("alpha_interval"); return }
        #expect(Dictionary(interval, uniquingKeysWith: { a, _ in a })["lower"] == .num(expected.lower))
        // And κ comes for each of the three pairs
        guard case .array(let pairs)? = score["pairs"] else { Issue.record("pairs"); return }
        #expect(pairs.count == 3)
        guard case .array(let judges)? = json["judges"] else { Issue.record("judges"); return }
        #expect(judges.count == 3)

        // When one judge is named twice, or only one judge is named, then the study refuses with what to do
        #expect(throws: UsageError.self) {
            try Studies.agreement(store: store, runs: ["m"], judges: "\(keys[0]),\(keys[1]),\(keys[0])", judgeFamilies: [], resamples: 0, seed: 1, format: .terminal)
        }
        #expect(throws: UsageError.self) {
            try Studies.agreement(store: store, runs: ["m"], judges: keys[0], judgeFamilies: [], resamples: 0, seed: 1, format: .terminal)
        }
        #expect(throws: UsageError.self) {
            try Studies.agreement(store: store, runs: ["m"], judges: "\(keys[0]),\(keys[1])", judgeFamilies: ["qwen"], resamples: 0, seed: 1, format: .terminal)
        }
    }
}
