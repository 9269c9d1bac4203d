import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// `wise migrate` in-process: two runs judged by loopback judge A, migrated to loopback judge B
/// that answers a known third of the images the other way; every number of the report equals a
/// direct computation from the stored verdicts.
@Suite struct JudgeMigrationTests {
    /// The report's JSON, as far as the test reads it.
    struct Report: Decodable {
        struct Interval: Decodable { var estimate: Double }
        struct Agreement: Decodable { var aspect: String; var kappa: Interval?; var alpha: Interval? }
        struct Shift: Decodable { var overall: Interval?; var mean: Interval?; var categories: [String: Interval?] }
        struct Flip: Decodable { var run: String; var prompt_id: Int }
        struct JudgeShift: Decodable { var paired: Int; var agreement: [Agreement]; var shift: Shift; var flips: [Flip] }
        struct Row: Decodable { var rank: Int?; var overall: Interval? }
        struct Run: Decodable { var name: String; var before: Row?; var after: Row?; var shift: JudgeShift }
        var from_key: String
        var to_key: String
        var runs: [Run]
        var pooled: JudgeShift
    }

    let ids = Array(stride(from: 1, through: 1000, by: 10))

    /// Judge B's flipped answers: every image of a prompt id divisible by 3 gets the other score.
    func flipped(_ images: [Int: Data]) -> [String: String] {
        Dictionary(images.filter { $0.key % 3 == 0 }.values.map { image in
            (SHA256.hex(image), "Score: \(1 - Int(FakeJudgeServer.expectedScores(for: image, scoringProtocol: .verified)["score"]!))")
        }, uniquingKeysWith: { a, _ in a })
    }

    @Test func theReportOfTwoJudgesWithKnownDisagreementEqualsADirectComputation() async throws {
        // Given runs r1 and r2 (different images of 100 prompts over every category) judged by judge A
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let folder = try TempDirectory.make("migrate")
        let storePath = folder.appendingPathComponent("s.sqlite").path
        let store = try ResultsStore(path: storePath, create: true)
        var images: [String: [Int: Data]] = [:]
        for (name, offset) in [("r1", 0), ("r2", 5000)] {
            let dir = folder.appendingPathComponent(name)
            try ImageFixtures.writeFolder(dir, ids: ids, seedOffset: offset)
            images[name] = Dictionary(uniqueKeysWithValues: try ids.map { ($0, try Data(contentsOf: dir.appendingPathComponent("\($0).png"))) })
            let registration = FolderRegistration(name: name, set: .verified, scoringProtocol: nil, images: dir.path, strict: false)
            _ = try Console.$sink.withValue(ConsoleRecorder()) { try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store) }
        }
        var configurationA = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configurationA.model = "judge-a"; configurationA.apiKey = nil
        let a = try FakeJudgeServer(configurationA)
        var configurationB = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configurationB.model = "judge-b"; configurationB.apiKey = nil
        configurationB.scriptedReplies = flipped(images["r1"]!).merging(flipped(images["r2"]!)) { x, _ in x }
        let b = try FakeJudgeServer(configurationB)
        defer { a.stop(); b.stop() }
        func options(_ server: FakeJudgeServer) throws -> JudgeOptions {
            try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--retries", "1", "--retry-base-delay", "0.01", "--progress-interval", "60"])
        }
        for name in ["r1", "r2"] {
            let made = try options(a).makeJudge(scoringProtocol: .verified, environment: fixture.environment)
            try await Console.$sink.withValue(ConsoleRecorder()) {
                try await judgeRun(try store.requireRun(name), store: store, options: try options(a), made: made)
            }
        }
        // When they are migrated to judge B, as JSON
        func migrate(_ format: MigrationFormat) async throws -> String {
            try await Console.$sink.withValue(ConsoleRecorder()) {
                try await Migration.run(runs: ["r1", "r2"], from: "judge-a", options: try options(b), store: try StoreOptions.parse(["--store", storePath]),
                                        resamples: 200, seed: 3, format: format, environment: fixture.environment)
            }
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(try await migrate(.json).utf8))
        // Then judge B judged every image once, and the numbers are those computed here from the stored verdicts
        #expect(b.stats.requests == 200 && b.validationFailures.isEmpty)
        let judges = try store.judges(of: try store.requireRun("r1")).map(\.spec)
        let keyA = try #require(judges.first { $0.parameters["model"] == "judge-a" }).key
        let keyB = try #require(judges.first { $0.parameters["model"] == "judge-b" }).key
        #expect(report.from_key == keyA && report.to_key == keyB)
        let weights = ScoringProtocol.verified.weights
        func overall(_ scores: [Int: Double]) -> Double {
            Category.allCases.reduce(0) { total, c in
                let values = ids.filter { catalogue.prompt($0)!.category == c }.map { scores[$0]! }
                return total + weights[c]! * values.reduce(0, +) / Double(values.count)
            }
        }
        var overalls: [String: (a: Double, b: Double)] = [:]
        var pooledA: [Int] = [], pooledB: [Int] = []
        for name in ["r1", "r2"] {
            let rows = try store.judgmentRows(run: try store.requireRun(name))
            let scoreA = Dictionary(uniqueKeysWithValues: rows.filter { $0.judgeKey == keyA }.map { ($0.promptID, $0.scores!["score"]!) })
            let scoreB = Dictionary(uniqueKeysWithValues: rows.filter { $0.judgeKey == keyB }.map { ($0.promptID, $0.scores!["score"]!) })
            let x = ids.map { Int(scoreA[$0]!) }, y = ids.map { Int(scoreB[$0]!) }
            pooledA += x; pooledB += y
            let run = try #require(report.runs.first { $0.name == name })
            // Flips: exactly the prompt ids divisible by 3
            #expect(Set(run.shift.flips.map(\.prompt_id)) == Set(ids.filter { $0 % 3 == 0 }))
            #expect(run.shift.paired == 100)
            // κ = (po − pe) / (1 − pe) and α = 1 − (n − 1)·D / (n₀·n₁) for two raters, binary, no gaps
            let kappa = try #require(run.shift.agreement.first { $0.aspect == "score" })
            #expect(abs(kappa.kappa!.estimate - Self.kappa(x, y)) < 1e-12)
            #expect(abs(kappa.alpha!.estimate - Self.alpha(x, y)) < 1e-12)
            // The shift per category and overall (official weights), and the plain mean
            for c in Category.allCases {
                let inC = ids.filter { catalogue.prompt($0)!.category == c }
                let delta = inC.map { scoreB[$0]! - scoreA[$0]! }.reduce(0, +) / Double(inC.count)
                #expect(abs((run.shift.shift.categories[c.rawValue]??.estimate ?? .nan) - delta) < 1e-12, "\(name) \(c)")
            }
            overalls[name] = (overall(scoreA), overall(scoreB))
            #expect(abs(run.shift.shift.overall!.estimate - (overalls[name]!.b - overalls[name]!.a)) < 1e-12)
            #expect(abs(run.shift.shift.mean!.estimate - Double(zip(x, y).map { $1 - $0 }.reduce(0, +)) / 100) < 1e-12)
            #expect(abs(run.before!.overall!.estimate - overalls[name]!.a) < 1e-12 && abs(run.after!.overall!.estimate - overalls[name]!.b) < 1e-12)
        }
        // Ranks: 1 + the runs scoring strictly higher, under each judge
        for name in ["r1", "r2"] {
            let run = try #require(report.runs.first { $0.name == name })
            #expect(run.before?.rank == 1 + overalls.values.filter { $0.a > overalls[name]!.a }.count)
            #expect(run.after?.rank == 1 + overalls.values.filter { $0.b > overalls[name]!.b }.count)
        }
        // And pooled over both runs
        #expect(report.pooled.paired == 200 && report.pooled.flips.count == 2 * ids.filter { $0 % 3 == 0 }.count)
        #expect(abs(report.pooled.agreement[0].kappa!.estimate - Self.kappa(pooledA, pooledB)) < 1e-12)

        // When migrated again, as text and as HTML / Then nothing more is asked of judge B (cache-aware)
        let text = try await migrate(.terminal)
        let html = try await migrate(.html)
        #expect(b.stats.requests == 200)
        #expect(text.contains("Rank A") && text.contains("verdicts flipped") && text.contains("all runs pooled"), "\(text)")
        let moved = ["r1", "r2"].filter { name in report.runs.first { $0.name == name }.map { $0.before?.rank != $0.after?.rank } ?? false }
        #expect(text.contains(moved.isEmpty ? "no run changes rank" : "rank changes: \(moved[0]) "), "\(text)")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<h1>Judge migration") && html.contains("<h2>r2</h2>"))
    }

    @Test func judgeBTheSameAsJudgeAIsRefused() async throws {
        // Given a run judged by judge A
        let given = try RegisteredRun(1...5, label: "migrate-same")
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.apiKey = nil
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", "judge-model", "--retries", "1", "--retry-base-delay", "0.01", "--progress-interval", "60"])
        let made = try options.makeJudge(scoringProtocol: .verified, environment: given.fixture.environment)
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(given.run, store: given.store, options: options, made: made) }
        // When migrated to the same judge / Then it is refused in one line, nothing asked
        await #expect { try await Migration.run(runs: ["r"], from: "judge-model", options: options, store: try StoreOptions.parse(["--store", given.store.path]),
                                                resamples: 10, seed: 1, format: .json, environment: given.fixture.environment) } throws: {
            "\($0)".contains("judge B (the judge options) is judge A")
        }
        #expect(server.stats.requests == 5)
    }

    /// Cohen's κ of two binary raters, from its definition.
    static func kappa(_ x: [Int], _ y: [Int]) -> Double {
        let n = Double(x.count)
        let po = Double(zip(x, y).filter { $0 == $1 }.count) / n
        let x1 = Double(x.filter { $0 == 1 }.count) / n, y1 = Double(y.filter { $0 == 1 }.count) / n
        let pe = x1 * y1 + (1 - x1) * (1 - y1)
        return (po - pe) / (1 - pe)
    }

    /// Krippendorff's α (nominal) of two binary raters who rated every unit.
    static func alpha(_ x: [Int], _ y: [Int]) -> Double {
        let n = Double(2 * x.count)
        let disagreements = Double(zip(x, y).filter { $0 != $1 }.count)
        let ones = Double((x + y).filter { $0 == 1 }.count)
        return 1 - (n - 1) * disagreements / (ones * (n - ones))
    }
}
