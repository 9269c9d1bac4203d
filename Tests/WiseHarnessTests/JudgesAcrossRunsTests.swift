import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseReport
import WiseStore

/// Judges across runs, in-process on real SQLite files: a report or compare of several runs reads
/// them under one judge they share and says which; `--judge` by model or key prefix; the judge
/// count in `wise runs`; deleting one judge's verdicts.
@Suite struct JudgesAcrossRunsTests {
    let catalogue: Catalogue
    init() throws { catalogue = try TestCatalogue.make().load(.verified) }

    /// A fresh store with folder runs `names`, each registered from the same images for ids 1…20.
    func store(_ label: String, runs names: [String]) throws -> ResultsStore {
        let dir = try TempDirectory.make("judges-\(label)")
        let store = try ResultsStore(path: dir.appendingPathComponent("wise.sqlite").path, create: true)
        let folder = dir.appendingPathComponent("img")
        try ImageFixtures.writeFolder(folder, ids: 1...20)
        for name in names {
            let registration = FolderRegistration(name: name, set: .verified, scoringProtocol: nil, images: folder.path, strict: false)
            try Console.$sink.withValue(ConsoleRecorder()) {
                _ = try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
            }
        }
        return store
    }

    /// A judge's identity: an openai judge of `model` with `temperature`.
    func judge(_ model: String, temperature: String = "0") -> AdapterSpec {
        AdapterSpec(adapter: "openai", parameters: ["model": model, "temperature": temperature, "protocol": "verified"])
    }

    /// Records `judge`'s verdicts (score 1 for even ids, 0 for odd) on `ids` of run `name`, `repeats` times each.
    func judgeRun(_ store: ResultsStore, _ name: String, by judge: AdapterSpec, ids: ClosedRange<Int> = 1...20, repeats: Int = 1) async throws {
        for item in try store.pendingJudgments(run: try store.requireRun(name), judge: judge, repeats: repeats) where ids.contains(item.promptID) {
            let scores = AspectScores(["score": item.promptID % 2 == 0 ? 1 : 0])
            try await store.record(JudgmentRecord(verdict: .success(.scored(scores, evidence: Evidence())), latencyMs: 1, attempts: 1),
                                   for: item, prompt: catalogue.prompt(item.promptID)!, judge: judge, scoringProtocol: .verified, rubricSHA256: nil)
        }
    }

    /// The board of `runs` as JSON text, with what was noted on stderr.
    func board(_ store: ResultsStore, _ runs: [String], judge: String? = nil, allowMixed: Bool = false) throws -> (json: String, notes: String) {
        let out = try TempDirectory.make("judges-board").appendingPathComponent("board.json")
        let recorder = ConsoleRecorder()
        try Console.$sink.withValue(recorder) {
            try RunReport(store: store, runs: runs, judgeKey: judge)
                .writeBoard(format: .json, decimals: nil, prices: nil, resamples: 50, seed: 1, allowMixed: allowMixed, out: out.path)
        }
        return (try String(contentsOf: out, encoding: .utf8), recorder.messages)
    }

    @Test func aVarianceStudyOnOneRunDoesNotChangeTheJudgeOfABoardOfTwo() async throws {
        // Given runs a and b judged on every image by judge A, then a variance study by judge B
        // (temperature 1, 3 repeats) on five images of a only, made later
        let store = try store("variance", runs: ["a", "b"])
        let main = judge("judge-a"), variance = judge("judge-a", temperature: "1")
        try await judgeRun(store, "a", by: main)
        try await judgeRun(store, "b", by: main)
        try await judgeRun(store, "a", by: variance, ids: 1...5, repeats: 3)
        // When both runs are put on one board with no --judge
        // (before, each run was read under its latest judge: a under B, b under A, and the board was
        // refused as "different fingerprints … pass --allow-mixed", advice that was wrong)
        let (json, notes) = try board(store, ["a", "b"])
        // Then the board is made under judge A, the judge both share, and a note says which and why
        let compact = json.filter { !$0.isWhitespace }
        #expect(compact.contains("\"fingerprint_mixed\":false") && !compact.contains("\"fingerprint_mixed\":true"), "\(json.prefix(400))")
        #expect(notes.contains("judge \(main.key.prefix(8))") && notes.contains("which all 2 runs share"), "\(notes)")
        #expect(notes.contains("other judges: a: \(variance.key.prefix(8))") && notes.contains("choose one with --judge KEY"), "\(notes)")
        // And each run is read under judge A
        let choice = try store.chooseJudges(for: [try store.requireRun("a"), try store.requireRun("b")], name: nil, allowMixed: false)
        #expect(choice.judges == [main, main])
        // And a study of repeats on run a still finds the variance study's judge by default
        #expect(try store.repeatedStudyRun("a", judgeKey: nil).summary.judge == variance)
    }

    @Test func judgeTakesAModelNameOrAKeyPrefixAndAnAmbiguousOneListsTheCandidates() async throws {
        // Given runs a and b both judged by judge-a at temperature 0 and at temperature 1, and a also by judge-c
        let store = try store("names", runs: ["a", "b"])
        let cold = judge("judge-a"), warm = judge("judge-a", temperature: "1"), other = judge("judge-c")
        for name in ["a", "b"] {
            try await judgeRun(store, name, by: cold)
            try await judgeRun(store, name, by: warm)
        }
        try await judgeRun(store, "a", by: other)
        let runs = [try store.requireRun("a"), try store.requireRun("b")]
        // When the judge is named by a key prefix / Then that judge is used for both
        #expect(try store.chooseJudges(for: runs, name: String(warm.key.prefix(6)), allowMixed: false).judges == [warm, warm])
        // When it is named by a model two shared judges have / Then one line lists both candidates by key
        let ambiguous = #expect(throws: StoreError.self) { try store.chooseJudges(for: runs, name: "judge-a", allowMixed: false) }
        let message = ambiguous?.description ?? ""
        #expect(message.contains("--judge judge-a matches 2 judges of the runs") && message.contains(String(cold.key.prefix(8)))
                && message.contains(String(warm.key.prefix(8))) && !message.contains("\n"), "\(message)")
        // When it is named by a model only run a has / Then run b is named with its judges
        let missing = #expect(throws: StoreError.self) { try store.chooseJudges(for: runs, name: "judge-c", allowMixed: false) }
        #expect(missing?.description.hasPrefix("run 'b' has no judge matching --judge judge-c; its judges: ") == true, "\(String(describing: missing))")
        // And a single run takes the model name when it names one judge
        #expect(try store.chooseJudge(of: runs[0], key: "judge-c") == other)
    }

    @Test func compareOfRunsWithNoSharedJudgeRefusesUnlessAllowed() async throws {
        // Given run a judged by judge-a only and run b by judge-b only
        let store = try store("compare", runs: ["a", "b"])
        try await judgeRun(store, "a", by: judge("judge-a"))
        try await judgeRun(store, "b", by: judge("judge-b"))
        // When they are compared / Then one line refuses, naming each run's judges and --allow-mixed
        let refused = #expect(throws: UsageError.self) {
            try Console.$sink.withValue(ConsoleRecorder()) {
                _ = try Studies.compare(store: store, original: "a", rewrite: "b", judgeKey: nil, resamples: 50, seed: 1, format: .json, decimals: nil)
            }
        }
        let message = refused?.description ?? ""
        #expect(message.contains("runs 'a', 'b' share no judge") && message.contains("a: \(judge("judge-a").key.prefix(8))")
                && message.contains("pass --allow-mixed") && !message.contains("\n"), "\(message)")
        // And the board refuses the same way, rather than blaming fingerprints
        #expect(throws: UsageError.self) { try board(store, ["a", "b"]) }
        // When asked for / Then each is read under its own judge, and the comparison says they were judged differently
        let recorder = ConsoleRecorder()
        let text = try Console.$sink.withValue(recorder) {
            try Studies.compare(store: store, original: "a", rewrite: "b", judgeKey: nil, allowMixed: true, resamples: 50, seed: 1, format: .json, decimals: nil)
        }
        #expect(text.contains("judged differently"), "\(text.prefix(600))")
        #expect(recorder.messages.contains("each is read under its own (--allow-mixed)"), "\(recorder.messages)")
    }

    @Test func runsShowsHowManyJudgesEachRunHas() async throws {
        // Given run a judged by two judges and run b by none
        let store = try store("listing", runs: ["a", "b"])
        try await judgeRun(store, "a", by: judge("judge-a"))
        try await judgeRun(store, "a", by: judge("judge-b"), ids: 1...3)
        // When the runs are listed
        let lines = try RunListing(store: store).render().split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // Then a judges column counts them, and the judge shown is the one that judged the most images
        let header = try #require(lines.first)
        let column = try #require(header.firstIndex(of: "judges"))
        #expect(lines[1][0] == "a" && lines[1][column] == "2" && lines[1][column + 2] == "judge-a", "\(lines)")
        #expect(lines[2][0] == "b" && lines[2][column] == "0", "\(lines)")
        // And a board of both refuses in one line that says run b is not judged yet, unless --allow-mixed
        let refused = #expect(throws: UsageError.self) { try board(store, ["a", "b"]) }
        #expect(refused?.description.hasPrefix("run 'b' is not judged yet while the others are; judge it first") == true, "\(String(describing: refused))")
        #expect(try board(store, ["a", "b"], allowMixed: true).json.filter { !$0.isWhitespace }.contains("\"fingerprint_mixed\":true"))
    }

    @Test func oneJudgesVerdictsAreDeletedLeavingImagesAndOtherJudges() async throws {
        // Given run a judged by judge-a and (three repeats on five images) judge-b, and run b by judge-b
        let store = try store("delete", runs: ["a", "b"])
        let a = judge("judge-a"), b = judge("judge-b")
        try await judgeRun(store, "a", by: a)
        try await judgeRun(store, "a", by: b, ids: 1...5, repeats: 3)
        try await judgeRun(store, "b", by: b)
        let runA = try store.requireRun("a"), runB = try store.requireRun("b")
        let before = try store.contentDigest()
        let listing = RunListing(store: store)
        // When deleting without --yes / Then nothing changes and one line says what would go
        let unconfirmed = #expect(throws: UsageError.self) { try listing.deleteVerdicts(run: "a", judge: "judge-b", confirmed: false) }
        #expect(unconfirmed?.description.contains("this would delete 15 verdicts of judge \(b.key.prefix(8))") == true, "\(String(describing: unconfirmed))")
        #expect(unconfirmed?.description.contains("pass --yes") == true)
        // When the judge is ambiguous or unknown / Then nothing changes either
        #expect(throws: StoreError.self) { try listing.deleteVerdicts(run: "a", judge: "openai", confirmed: true) }
        #expect(throws: StoreError.self) { try listing.deleteVerdicts(run: "a", judge: "judge-z", confirmed: true) }
        #expect(try store.contentDigest() == before)
        // When confirmed
        let images = try store.imageRows(run: runA)
        let recorder = ConsoleRecorder()
        try Console.$sink.withValue(recorder) { try listing.deleteVerdicts(run: "a", judge: "judge-b", confirmed: true) }
        // Then only judge-b's verdicts on run a are gone: its images, judge-a's verdicts and run b's stay
        #expect(recorder.messages.contains("deleted 15 verdicts of judge \(b.key.prefix(8))"), "\(recorder.messages)")
        #expect(try store.judges(of: runA).map(\.spec) == [a])
        #expect(try store.judges(of: runA).first?.judgments == 20)
        #expect(try store.imageRows(run: runA) == images)
        #expect(try store.judges(of: runB).map(\.judgments) == [20])
    }

    @Test func verdictsCopiedIntoAnotherRunOutliveTheirSource() async throws {
        // Given run a judged by judge-a, and run b (the same images) answered from a's verdicts by the judge cache
        let store = try store("cached", runs: ["a", "b"])
        let a = judge("judge-a")
        try await judgeRun(store, "a", by: a)
        let runB = try store.requireRun("b")
        let prompts = Dictionary(uniqueKeysWithValues: catalogue.prompts.map { ($0.id, $0) })
        #expect(try store.reuseCachedJudgments(try store.pendingJudgments(run: runB, judge: a, repeats: 1), judge: a, prompts: prompts) == 20)
        let copied = try store.studyJudgments(of: runB, judge: a)
        // When judge-a's verdicts on run a are deleted
        try Console.$sink.withValue(ConsoleRecorder()) { try RunListing(store: store).deleteVerdicts(run: "a", judge: "judge-a", confirmed: true) }
        // Then run b keeps every copied verdict with its scores, and run a has none
        #expect(try store.studyJudgments(of: runB, judge: a) == copied && copied.count == 20 && copied.allSatisfy { $0.scores != nil })
        #expect(try store.judges(of: try store.requireRun("a")).isEmpty)
        #expect(try store.integrityCheck() == "ok")
    }
}
