import Foundation
import Testing
import WiseCore
import WiseHarness
import WiseStore
import TestSupport

/// `wise failures` in-process: reasons grouped with the items' ids taken out, most common first.
@Suite struct FailureReportTests {
    let catalogue: Catalogue
    init() throws { catalogue = try TestCatalogue.make().load(.verified) }

    func store(_ label: String) throws -> ResultsStore {
        try ResultsStore(path: try TempDirectory.make(label).appendingPathComponent("wise.sqlite").path, create: true)
    }

    /// A store holding one folder run, `name`, registered from images for `ids` only.
    func folderRun(_ name: String, ids: ClosedRange<Int>) throws -> ResultsStore {
        let store = try store("failures-\(name)")
        let folder = try TempDirectory.make("failures-\(name)-img")
        try ImageFixtures.writeFolder(folder, ids: ids)
        let registration = FolderRegistration(name: name, set: .verified, scoringProtocol: nil, images: folder.path, strict: false)
        try Console.$sink.withValue(ConsoleRecorder()) {
            _ = try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
        }
        return store
    }

    @Test func aFiftyImageFolderMakesOneGroupNotNineHundredFifty() throws {
        // Given a folder run with images 1…50 only
        let store = try folderRun("fifty", ids: 1...50)
        // When the failures are reported
        let report = try FailureReport(store: store, run: "fifty", judgeKey: nil)
        // Then the 950 missing images are one group with numeric ranges, in two lines
        #expect(report.groups.count == 1)
        #expect(report.groups.first?.promptIDs == Array(51...1000))
        let text = report.render()
        #expect(text.hasPrefix("950 × missing image: no image ({id}.png"), "\(text)")
        #expect(text.contains("prompts 51–1000") && text.split(separator: "\n").count == 2, "\(text)")
    }

    @Test func generationAndJudgeFailuresAreGroupedMostCommonFirst() async throws {
        // Given a generated run: 3 images the generator failed on, 2 made and judged with an HTTP 500, 1 unscored
        let store = try store("failures-mixed")
        let spec = RunSpec(name: "gen", set: .verified, scoringProtocol: .verified,
                           generator: AdapterSpec(adapter: "worker", parameters: ["command": "w"]), catalogueHash: catalogue.contentHash)
        let run = try store.beginRun(spec, catalogue: catalogue).run
        for id in [12, 9, 100] {
            try await store.recordGeneration(run: run, promptID: id, sampleIndex: 0, seed: id,
                                             result: .failure(GenerationFailure("no image at /tmp/out/\(id).png after generation")))
        }
        let folder = try TempDirectory.make("failures-made")
        for id in [500, 2, 3] {
            let url = folder.appendingPathComponent("\(id).png")
            try ImageFixtures.png(seed: id).write(to: url)
            try await store.recordGeneration(run: run, promptID: id, sampleIndex: 0, seed: id,
                                             result: .success(try GeneratedImage.inspect(path: url.path, seconds: 1, metadata: nil)))
        }
        let judge = AdapterSpec(adapter: "j")
        for item in try store.pendingJudgments(run: run, judge: judge, repeats: 1) {
            let verdict: Result<Verdict, JudgeFailure> = item.promptID == 3
                ? .success(.unscored(reason: "no score in the reply", evidence: Evidence()))
                : .failure(JudgeFailure(reason: "gave up after \(item.promptID) attempts; last: HTTP 500: boom", status: 500))
            try await store.record(JudgmentRecord(verdict: verdict, latencyMs: 1, attempts: 1), for: item, prompt: catalogue.prompt(item.promptID)!,
                                   judge: judge, scoringProtocol: .verified, rubricSHA256: nil)
        }
        // When the failures are reported
        let report = try FailureReport(store: store, run: "gen", judgeKey: nil)
        // Then each reason is one group, ids numeric, the most common first, HTTP 500 untouched for item 500
        #expect(report.groups == [
            FailureReport.Group(reason: "generation failed: no image at /tmp/out/{id}.png after generation", promptIDs: [9, 12, 100]),
            FailureReport.Group(reason: "failed: HTTP 500: boom", promptIDs: [2, 500]),
            FailureReport.Group(reason: "unscored: no score in the reply", promptIDs: [3]),
        ])
        #expect(report.render().contains("3 × generation failed: no image at /tmp/out/{id}.png after generation\n    prompts 9, 12, 100\n"), "\(report.render())")
    }

    @Test func aCleanRunSaysSo() throws {
        // Given a folder run with every image
        let store = try folderRun("all", ids: 1...1000)
        // When / Then
        #expect(try FailureReport(store: store, run: "all", judgeKey: nil).render() == "run all: no failed or unscored items and no missing images\n")
    }
}
