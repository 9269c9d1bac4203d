import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// `wise show` in-process: every sample of a prompt with its seed and tries, a worker crash retried
/// within the pass counted as a try, with real worker processes.
@Suite(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
struct ItemReportTests {
    /// The whitespace-separated cells of the `wise show` line of one sample.
    func sampleLine(_ text: String, _ label: String) -> [String] {
        text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0.first == label } ?? []
    }

    @Test func showListsEverySampleWithItsSeedAndTriesCountingACrashRetriedInThePass() async throws {
        // Given a tiny worker that crashes the first time it is asked for prompt 2 and every time for prompt 3
        let fixture = try TestCatalogue.make()
        let dir = try TempDirectory.make("show-tries")
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        var options = try GenerationOptions.parse([
            "--generator", "worker", "--worker-cmd", TinyWorker.command("--crash-once-on 2 --state \(dir.path) --crash-on 3"),
            "--ids", "1-3", "--samples", "2", "--seed-base", "100", "--out", dir.appendingPathComponent("img").path])
        options.generateProgressInterval = 60
        func pass() async throws {
            let prepared = try options.makeGenerator(model: nil, run: "g", timeout: 20)
            _ = try await Console.$sink.withValue(ConsoleRecorder()) {
                try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: prepared, options: options,
                                         store: store, catalogue: try fixture.load(.verified))
            }
        }
        // When ids 1-3 are generated with two samples each
        try await pass()
        // Then show lists both samples of prompt 2 with seed base + id + 1000 × sample, and the crashed
        // first sample, made on the restarted worker, took two tries
        let two = try ItemReport(store: store, run: "g", promptID: 2).render()
        #expect(two.contains("samples (2)"), "\(two)")
        #expect(sampleLine(two, "2_s0").prefix(6) == ["2_s0", "ok", "seed", "102", "tries", "2"], "\(two)")
        #expect(sampleLine(two, "2_s1").prefix(6) == ["2_s1", "ok", "seed", "1102", "tries", "1"], "\(two)")
        #expect(sampleLine(two, "2_s1").contains { $0.hasSuffix("2_s1.png") }, "\(two)")
        // And prompt 3, whose worker died on both tries, is missing after two tries a sample, saying why
        let three = try ItemReport(store: store, run: "g", promptID: 3).render()
        #expect(sampleLine(three, "3_s0").prefix(6) == ["3_s0", "missing", "seed", "103", "tries", "2"], "\(three)")
        #expect(three.contains("exited with status 3 twice"), "\(three)")

        // When the same pass runs again
        try await pass()
        // Then prompt 3's samples count the two tries of each pass, and prompt 2 was not made again
        let again = try ItemReport(store: store, run: "g", promptID: 3).render()
        #expect(sampleLine(again, "3_s0").prefix(6) == ["3_s0", "missing", "seed", "103", "tries", "4"], "\(again)")
        #expect(sampleLine(again, "3_s1").prefix(6) == ["3_s1", "missing", "seed", "1103", "tries", "4"], "\(again)")
        #expect(try store.imageRows(run: try store.requireRun("g")).filter { $0.promptID == 2 }.map(\.attempts) == [2, 1])
    }

    @Test func aPromptWithNoImageSaysSo() throws {
        // Given a folder run without prompt 7's image
        let catalogue = try TestCatalogue.make().load(.verified)
        let dir = try TempDirectory.make("show-none")
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        try ImageFixtures.writeFolder(dir.appendingPathComponent("img"), ids: 1...3)
        let registration = FolderRegistration(name: "f", set: .verified, scoringProtocol: nil, images: dir.appendingPathComponent("img").path, strict: false)
        try Console.$sink.withValue(ConsoleRecorder()) {
            _ = try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
        }
        // When prompt 1 and prompt 7 are shown
        let one = try ItemReport(store: store, run: "f", promptID: 1).render()
        let seven = try ItemReport(store: store, run: "f", promptID: 7).render()
        // Then the registered image is one sample with no seed and one try, and the absent one is a missing sample
        #expect(sampleLine(one, "1_s0").prefix(6) == ["1_s0", "ok", "seed", "-", "tries", "1"], "\(one)")
        #expect(sampleLine(seven, "7_s0").prefix(2) == ["7_s0", "missing"], "\(seven)")
    }
}
