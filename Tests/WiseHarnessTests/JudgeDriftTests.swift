import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// Drift checks against loopback judges, in-process on real SQLite files: an anchor re-check before
/// a pass (`--drift-check`), and a served model or fingerprint that changes mid-run (`--on-drift`).
@Suite struct JudgeDriftTests {
    static let key = "sk-test-0123456789abcdef"

    /// A store with 100 images spread over every category (ids 1, 11, …, 991) registered as run `r`.
    struct Given {
        var store: ResultsStore
        var run: StoredRun
        var fixture: TestCatalogue
        var images: URL
        /// Every image's bytes and SHA-256, by prompt id.
        var data: [Int: Data]
        var sha: [Int: String]

        init(label: String) throws {
            fixture = try TestCatalogue.make()
            let folder = try TempDirectory.make(label)
            let images = folder.appendingPathComponent("img")
            self.images = images
            let ids = Array(stride(from: 1, through: 1000, by: 10))
            try ImageFixtures.writeFolder(images, ids: ids)
            data = Dictionary(uniqueKeysWithValues: try ids.map { ($0, try Data(contentsOf: images.appendingPathComponent("\($0).png"))) })
            sha = data.mapValues { SHA256.hex($0) }
            store = try ResultsStore(path: folder.appendingPathComponent("s.sqlite").path, create: true)
            let registration = FolderRegistration(name: "r", set: .verified, scoringProtocol: nil, images: images.path, strict: false)
            let catalogue = try fixture.load(.verified)
            let store = self.store
            run = try Console.$sink.withValue(ConsoleRecorder()) {
                try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
            }
        }

        /// A verified reply that gives every image the opposite of the fake judge's normal score.
        func flippedReplies() -> [String: String] {
            Dictionary(uniqueKeysWithValues: data.values.map { image in
                (SHA256.hex(image), "Score: \(1 - Int(FakeJudgeServer.expectedScores(for: image, scoringProtocol: .verified)["score"]!))")
            })
        }
    }

    /// Judges run `r` in-process with the openai judge at `server` and `extra` options; what was noted on stderr.
    @discardableResult
    func judge(_ given: Given, _ server: FakeJudgeServer, _ extra: [String] = [], ids: Set<Int>? = nil) async throws -> String {
        let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "K",
                                              "--retries", "1", "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"] + extra)
        var environment = given.fixture.environment
        environment["K"] = Self.key
        let made = try options.makeJudge(scoringProtocol: .verified, environment: environment)
        let recorder = ConsoleRecorder()
        do {
            try await Console.$sink.withValue(recorder) {
                try await judgeRun(given.run, store: given.store, options: options, made: made, promptIDs: ids)
            }
        } catch {
            throw Failed(error: error, messages: recorder.messages)
        }
        return recorder.messages
    }

    /// A pass's error with what it noted before it, for the test to read both.
    struct Failed: Error {
        var error: any Error
        var messages: String
    }

    /// The error of a pass expected to fail, with its messages; nil when it did not fail.
    func failure(_ given: Given, _ server: FakeJudgeServer, _ extra: [String]) async -> Failed? {
        do { try await judge(given, server, extra) } catch { return error as? Failed }
        return nil
    }

    /// Run r with its first 50 items judged by a loopback judge, and a server of the same judge
    /// identity (the same model name) that now answers every image the other way.
    func halfJudgedThenFlipped(_ label: String) async throws -> (Given, FakeJudgeServer) {
        let given = try Given(label: label)
        let first = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { first.stop() }
        try await judge(given, first, ids: Set(stride(from: 1, through: 491, by: 10)))
        var changed = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        changed.scriptedReplies = given.flippedReplies()
        return (given, try FakeJudgeServer(changed))
    }

    /// Every judgment row as (prompt id, status, scores), for comparing a store before and after.
    func snapshot(_ given: Given) throws -> [String] {
        try given.store.judgmentRows(run: given.run).map { "\($0.promptID) \($0.repeatIndex) \($0.status) \($0.scores?.values ?? [:]) \($0.servedModel ?? "")" }
    }

    @Test func anAnchorCheckOfAnUnchangedJudgeAsksAgainBypassingTheCacheAndStoresNothing() async throws {
        // Given run r fully judged by a loopback judge
        let given = try Given(label: "drift-same")
        let first = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { first.stop() }
        try await judge(given, first)
        let before = try snapshot(given)
        // When it is judged again with a drift check of 30 anchors, against the same judge
        let again = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { again.stop() }
        let messages = try await judge(given, again, ["--drift-check", "30"])
        // Then exactly the 30 anchors were asked again (the store's verdicts answer no anchor), one
        // per category at least, the check finds full agreement and no drift, and the store is unchanged
        #expect(again.stats.requests == 30, "\(again.stats.requests)")
        #expect(again.validationFailures.isEmpty)
        #expect(messages.contains("drift check: judging again 30 anchors of run r (seed 1)"), "\(messages)")
        #expect(messages.contains("30 items paired; κ score 1.00") && messages.contains("0 of 30 verdicts flipped"), "\(messages)")
        #expect(messages.contains("drift check: no drift past the thresholds"), "\(messages)")
        #expect(try snapshot(given) == before)
        // And the anchors are category-stratified and fixed by the seed
        let asked = Set(again.requestLog.compactMap(\.imageSHA256))
        let ids = given.sha.filter { asked.contains($0.value) }.map(\.key)
        let catalogue = try given.fixture.load(.verified)
        #expect(Set(ids.compactMap { catalogue.prompt($0)?.category }) == Set(Category.allCases))
        let third = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { third.stop() }
        try await judge(given, third, ["--drift-check", "30"])
        #expect(Set(third.requestLog.compactMap(\.imageSHA256)) == asked)
    }

    @Test func aJudgeWhoseAnswersChangedIsStoppedBeforeJudgingAndTheStoreKeepsWhatWasJudged() async throws {
        // Given half of run r judged, and the judge (same model name, so the same identity) now
        // answering every image the other way
        let (given, server) = try await halfJudgedThenFlipped("drift-stop")
        defer { server.stop() }
        let before = try snapshot(given)
        // When the rest is judged with a drift check and --on-drift stop
        let caught = await failure(given, server, ["--drift-check", "20", "--on-drift", "stop"])
        // Then the pass stops with one line (exit 75), naming κ and the shift, after the anchors only
        let error = try #require(caught?.error as? OutcomeError)
        #expect(error.kind == .incomplete)
        #expect(error.message.contains("drift found on 20 anchors of run r") && error.message.contains("below --drift-min-kappa 0.6"), "\(error.message)")
        #expect(error.message.contains("nothing was judged and the store is as it was (--on-drift stop)"))
        #expect(caught?.messages.contains("20 of 20 verdicts flipped") == true, "\(caught?.messages ?? "")")
        #expect(server.stats.requests == 20)
        // And the store holds exactly what was judged before
        #expect(try snapshot(given) == before)
        #expect(try given.store.pendingJudgments(run: given.run, judge: try #require(given.store.judges(of: given.run).first).spec, repeats: 1).count == 50)
    }

    @Test func underWarnADriftIsSaidAndTheRunIsJudged() async throws {
        // Given half of run r judged, and the judge now answering every image the other way
        let (given, server) = try await halfJudgedThenFlipped("drift-warn")
        defer { server.stop() }
        // When the rest is judged with a drift check (warn is the default)
        let messages = try await judge(given, server, ["--drift-check", "20", "--drift-min-kappa", "0.5"])
        // Then the drift is said, and the other 50 items are judged
        #expect(messages.contains("warning: drift found on 20 anchors of run r") && messages.contains("judging anyway (--on-drift warn)"), "\(messages)")
        #expect(messages.contains("below --drift-min-kappa 0.5"))
        #expect(server.stats.requests == 20 + 50)
        #expect(try given.store.judgmentRows(run: given.run).filter { $0.status == .ok }.count == 100)
    }

    @Test(arguments: [
        ("model", FakeJudgeServer.ServedChange(after: 10, servedAs: "judge-model-2025-06")),
        ("fingerprint", FakeJudgeServer.ServedChange(after: 10, systemFingerprint: "fp_b")),
    ])
    func aServedModelOrFingerprintChangingMidRunStopsCleanly(_ what: String, _ change: FakeJudgeServer.ServedChange) async throws {
        // Given a judge whose replies name another model (or fingerprint) from the 11th request on
        let given = try Given(label: "served-\(what)")
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.systemFingerprint = "fp_a"
        configuration.change = change
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        // When the run is judged one request at a time with --on-drift stop
        let caught = await failure(given, server, ["--on-drift", "stop", "--concurrency", "1"])
        // Then the pass stops with one line (exit 75) that names the change
        let error = try #require(caught?.error as? OutcomeError)
        #expect(error.kind == .incomplete)
        #expect(error.message.hasPrefix("judging stopped: the served model changed"), "\(error.message)")
        let expected = change.servedAs.map { "\($0) (fp_a)" } ?? "judge-model (fp_b)"
        #expect(error.message.contains("names \(expected), earlier replies of this judge named judge-model (fp_a)"), "\(error.message)")
        // And the ten verdicts before the change are kept, the reply after it is a failed row (tried
        // again next time), and nothing else was asked
        let rows = try given.store.judgmentRows(run: given.run)
        #expect(rows.filter { $0.status == .ok }.count == 10 && rows.filter { $0.status == .failed }.count == 1, "\(rows.map(\.status))")
        #expect(rows.filter { $0.status == .ok }.allSatisfy { $0.servedModel == "judge-model" && $0.systemFingerprint == "fp_a" })
        #expect(server.stats.requests == 11)
    }

    @Test(arguments: [(["--on-drift", "warn"], 1), ([], 0)])
    func underWarnAServedModelChangeIsSaidOnceWithoutAPolicyNotAtAllAndEveryItemIsJudged(_ policy: [String], warnings: Int) async throws {
        // Given a judge whose replies name another model from the 11th request on
        let given = try Given(label: "served-\(policy.last ?? "none")")
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.change = FakeJudgeServer.ServedChange(after: 10, servedAs: "judge-model-2025-06")
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        // When the run is judged with --on-drift warn, or with no drift option
        let messages = try await judge(given, server, policy + ["--concurrency", "1"])
        // Then the change is said once under warn (not watched without a policy), and every item is judged and counted
        #expect(messages.components(separatedBy: "warning: the served model changed").count == 1 + warnings, "\(messages)")
        if warnings > 0 { #expect(messages.contains("names judge-model-2025-06, earlier replies of this judge named judge-model")) }
        #expect(try given.store.judgmentRows(run: given.run).filter { $0.status == .ok }.count == 100)
    }

    @Test func anchorsComeFromAnotherRunWithDriftAnchors() async throws {
        // Given run r judged, and a new run n of other images in the same store, judged by nobody yet
        let given = try Given(label: "drift-anchors")
        let first = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { first.stop() }
        try await judge(given, first)
        let folder = given.images.deletingLastPathComponent().appendingPathComponent("new")
        try ImageFixtures.writeFolder(folder, ids: 1...12, seedOffset: 7000)
        let registration = FolderRegistration(name: "n", set: .verified, scoringProtocol: nil, images: folder.path, strict: false)
        let catalogue = try given.fixture.load(.verified)
        var fresh = given
        fresh.run = try Console.$sink.withValue(ConsoleRecorder()) {
            try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: given.store)
        }
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        // When n is judged with 10 anchors taken from r
        let messages = try await judge(fresh, server, ["--drift-check", "10", "--drift-anchors", "r"])
        // Then 10 anchors of r were asked again, then n's 12 images, and no drift was found
        #expect(messages.contains("drift check: judging again 10 anchors of run r") && messages.contains("no drift past the thresholds"), "\(messages)")
        #expect(server.stats.requests == 10 + 12)
        #expect(try given.store.judgmentRows(run: fresh.run).count == 12)
        // And --drift-anchors without --drift-check is refused when the options are read
        #expect(throws: (any Error).self) { try JudgeOptions.parse(["--drift-anchors", "r"]) }
    }

    @Test func aDriftCheckOnARunThisJudgeNeverJudgedIsRefusedInOneLine() async throws {
        // Given run r judged by nobody
        let given = try Given(label: "drift-none")
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        // When judged with a drift check / Then it is refused before anything is asked or stored
        let caught = await failure(given, server, ["--drift-check", "10"])
        let error = try #require(caught?.error as? UsageError)
        #expect("\(error)".contains("run r has no item scored by this judge") && "\(error)".contains("--drift-anchors RUN"))
        #expect(server.stats.requests == 0)
        #expect(try given.store.judgmentRows(run: given.run).isEmpty)
    }
}
