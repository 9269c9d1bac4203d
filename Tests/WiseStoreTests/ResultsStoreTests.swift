import Foundation
import Testing
import WiseCore
@testable import WiseStore
import TestSupport

@Suite struct ResultsStoreTests {
    let fixture: TestCatalogue
    init() throws { fixture = try TestCatalogue.make() }

    func freshStore() throws -> ResultsStore {
        try ResultsStore(path: try TempDirectory.make("store").appendingPathComponent("wise.sqlite").path, create: true)
    }

    func spec(_ name: String, _ catalogue: Catalogue, path: String = "/images") -> RunSpec {
        RunSpec(name: name, set: catalogue.set, scoringProtocol: catalogue.set.defaultProtocol,
                generator: AdapterSpec(adapter: "folder", parameters: ["path": path]), catalogueHash: catalogue.contentHash)
    }

    @Test func opensInWALModeWithNamedMigrations() throws {
        let store = try freshStore()
        let mode = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let applied = try store.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1", "v2-judge-cache", "v3-evidence", "v4-generation", "v5-refusals"])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func aMissingStoreIsNeverCreatedByReaders() throws {
        let path = try TempDirectory.make().appendingPathComponent("typo.sqlite").path
        #expect(throws: StoreError.self) { try ResultsStore(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aFileThatIsNotAStoreIsRefused() throws {
        let path = try TempDirectory.make().appendingPathComponent("notes.txt").path
        try Data("hello, I am text and not SQLite at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try ResultsStore(path: path, create: true) } throws: { "\($0)".contains("is not a wise store") }
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("hello"))
    }

    @Test func legacyAndVerifiedPromptsStayApart() throws {
        // Given both sets recorded in one store
        let store = try freshStore()
        try store.recordCatalogue(try fixture.load(.legacy))
        try store.recordCatalogue(try fixture.load(.verified))
        // Then id 401 is two different prompts, each under its set
        let legacy = try store.prompts(of: .legacy), verified = try store.prompts(of: .verified)
        #expect(legacy.count == 1000 && verified.count == 1000)
        #expect(legacy[400].id == 401 && verified[400].id == 401)
        #expect(legacy[400].text != verified[400].text)
        #expect(legacy[699].category == .space && verified[699].category == .biology)
    }

    @Test func aRunIsReusedOnlyWithTheSameConfiguration() throws {
        let store = try freshStore()
        let catalogue = try fixture.load(.verified)
        let (first, created) = try store.beginRun(spec("m1", catalogue), catalogue: catalogue)
        let (again, createdAgain) = try store.beginRun(spec("m1", catalogue), catalogue: catalogue)
        #expect(created && !createdAgain && first == again)
        #expect { try store.beginRun(spec("m1", catalogue, path: "/other"), catalogue: catalogue) } throws: {
            "\($0)".contains("run 'm1' already exists with another configuration")
        }
    }

    @Test func imagesAreRecordedOnceAndMissingOnesFilledInLater() throws {
        // Given a run and a scan with two images and one missing
        let store = try freshStore()
        let catalogue = try fixture.load(.legacy)
        let (run, _) = try store.beginRun(spec("m", catalogue), catalogue: catalogue)
        func entry(_ id: Int, _ seed: Int?) -> ImageFolder.Entry {
            guard let seed else { return .init(promptID: id, path: nil, sha256: nil, format: nil, byteCount: 0, problem: "no image") }
            return .init(promptID: id, path: "/i/\(id).png", sha256: SHA256.hex(ImageFixtures.png(seed: seed)), format: .png, byteCount: 10, problem: nil)
        }
        let first = try store.registerImages(run: run, records: [entry(1, 1), entry(2, 2), entry(3, nil)])
        // When registered again, then with the missing one present
        let second = try store.registerImages(run: run, records: [entry(1, 1), entry(2, 2), entry(3, nil)])
        let third = try store.registerImages(run: run, records: [entry(1, 1), entry(2, 2), entry(3, 3)])
        // Then nothing is added twice, the gap is filled, and a changed image is refused
        #expect(first == ImageRegistration(added: 2, unchanged: 0, repaired: 0, missing: 1))
        #expect(second == ImageRegistration(added: 0, unchanged: 2, repaired: 0, missing: 1))
        #expect(third == ImageRegistration(added: 0, unchanged: 2, repaired: 1, missing: 0))
        #expect(try store.counts(of: run).images == 3)
        #expect(throws: StoreError.self) { try store.checkImages(run: "m", records: [entry(1, 99)]) }
        let outcomes = try store.outcomes(of: run, judge: nil)
        #expect(outcomes == [1: .unjudged, 2: .unjudged, 3: .unjudged])
        // And a second sample of prompt 1 is its own image, checked against its own hash only
        var sample = entry(1, 5)
        sample.sampleIndex = 1
        #expect(try store.registerImages(run: run, records: [sample]) == ImageRegistration(added: 1, unchanged: 0, repaired: 0, missing: 0))
        #expect(try store.counts(of: run).images == 4)
        try store.checkImages(run: "m", records: [sample, entry(1, 1)])
        var changed = entry(1, 6)
        changed.sampleIndex = 1
        #expect(throws: StoreError.self) { try store.checkImages(run: "m", records: [changed]) }
    }

    @Test func importIsAllOrNothingAndIdempotent() throws {
        // Given records for 10 prompts, one of them failed
        let store = try freshStore()
        let catalogue = try fixture.load(.verified)
        let records = (1...10).map { id in
            ScoreFile.Record(promptID: id, subcategory: nil, scores: id == 5 ? nil : AspectScores(["score": Double(id % 2)]), file: "/x.jsonl", line: id)
        }
        var s = spec("imp", catalogue)
        s.generator = AdapterSpec(adapter: "import", parameters: ["content": ScoreFile.contentHash(records)])
        let judge = AdapterSpec(adapter: "import", parameters: ["files": "x.jsonl"])
        // When imported twice
        let first = try store.importScores(s, catalogue: catalogue, judge: judge, records: records)
        let digest = try store.contentDigest()
        let second = try store.importScores(s, catalogue: catalogue, judge: judge, records: records)
        // Then the second import writes nothing and the outcomes follow the records
        #expect(first.created && first.scored == 9 && first.failed == 1)
        #expect(!second.created && second.scored == 9)
        #expect(try store.contentDigest() == digest)
        let summary = try store.summary(of: first.run)
        #expect(summary.score.categories[.culture]!.scored == 9)
        #expect(summary.score.categories[.culture]!.failed == 1)
        #expect(summary.score.categories[.culture]!.score == 4.0 / 9.0)
        #expect(summary.score.categories[.time]!.missing == 120)
        #expect(summary.score.overall == nil)
        #expect(summary.judge == judge)
    }

    @Test func aFailedImportLeavesTheStoreAsItWas() throws {
        // Given a store with one run, and an import whose name clashes with another configuration
        let store = try freshStore()
        let catalogue = try fixture.load(.verified)
        _ = try store.beginRun(spec("taken", catalogue), catalogue: catalogue)
        let before = try store.contentDigest()
        let records = [ScoreFile.Record(promptID: 1, subcategory: nil, scores: AspectScores(["score": 1]), file: "f", line: 1)]
        // When the import fails inside its transaction
        #expect(throws: StoreError.self) {
            try store.importScores(spec("taken", catalogue, path: "/elsewhere"), catalogue: catalogue,
                                   judge: AdapterSpec(adapter: "import"), records: records)
        }
        // Then nothing changed
        #expect(try store.contentDigest() == before)
    }
}
