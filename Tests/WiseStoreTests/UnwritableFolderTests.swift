import Foundation
import Testing
import WiseCore
@testable import WiseStore
import TestSupport

/// Reading a colleague's store in a folder the user cannot write, and merging a store into itself.
///
/// Tests run as root, who may write anywhere, so the folder cannot really be made unwritable here:
/// `ResultsStore.ordinaryReadOnlyOpenFails` makes the ordinary read-only open fail as it does there,
/// and what is checked is the fallback (the immutable open) and when it refuses. The end-to-end
/// test `ExitStatusTests` runs the binary as an unprivileged user for the real thing where it can.
@Suite struct UnwritableFolderTests {
    let fixture: TestCatalogue
    init() throws { fixture = try TestCatalogue.make() }

    func spec(_ name: String, _ catalogue: Catalogue) -> RunSpec {
        RunSpec(name: name, set: catalogue.set, scoringProtocol: catalogue.set.defaultProtocol,
                generator: AdapterSpec(adapter: "folder", parameters: ["path": "/images"]), catalogueHash: catalogue.contentHash)
    }

    /// A store holding run `name`, written and closed (so its WAL was checkpointed and removed).
    func closedStore(_ name: String) throws -> String {
        let path = try TempDirectory.make("ro").appendingPathComponent("wise.sqlite").path
        do {
            let store = try ResultsStore(path: path, create: true)
            _ = try store.beginRun(spec(name, try fixture.load(.verified)), catalogue: try fixture.load(.verified))
        }
        return path
    }

    @Test func aStoreThatCannotBeOpenedOrdinarilyIsReadImmutable() throws {
        // Given a closed store with one run and no -wal or -shm beside it
        let path = try closedStore("colleague")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"))
        // When it is opened read-only where the ordinary open fails
        let names = try ResultsStore.$ordinaryReadOnlyOpenFails.withValue(true) {
            try ResultsStore(path: path, access: .readOnly).runs().map(\.name)
        }
        // Then its run is read, and no -shm was made (an ordinary WAL read makes one)
        #expect(names == ["colleague"])
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
    }

    @Test func theOrdinaryReadOnlyOpenMakesAShmSoTheCheckAboveMeansSomething() throws {
        // Given the same closed store / When read the ordinary way / Then a -shm appears beside it
        let path = try closedStore("colleague")
        let store = try ResultsStore(path: path, access: .readOnly)
        #expect(try store.runs().map(\.name) == ["colleague"])
        #expect(FileManager.default.fileExists(atPath: path + "-shm"))
    }

    @Test func changesOnlyInTheWALAreNotSilentlyMissedWhenReadingImmutable() throws {
        // Given a store whose writer is still open, so a committed run sits in a non-empty -wal
        let path = try TempDirectory.make("ro-wal").appendingPathComponent("wise.sqlite").path
        let writer = try ResultsStore(path: path, create: true)
        _ = try writer.beginRun(spec("late", try fixture.load(.verified)), catalogue: try fixture.load(.verified))
        let walSize = (try FileManager.default.attributesOfItem(atPath: path + "-wal"))[.size] as? Int ?? 0
        #expect(walSize > 0)
        // When it must be read immutable / Then it is refused in one line saying the owner must checkpoint it
        ResultsStore.$ordinaryReadOnlyOpenFails.withValue(true) {
            #expect {
                try ResultsStore(path: path, access: .readOnly)
            } throws: { error in
                let error = error as? StoreError
                return error?.kind == .unavailable && error?.message.contains("checkpoint") == true
                    && error?.message.contains("-wal holds") == true && error?.message.contains("\n") == false
            }
        }
        withExtendedLifetime(writer) {}
    }

    @Test func theImmutableURIEscapesWhatAURIPathCannotHold() {
        #expect(ResultsStore.immutableURI("/a b/c?d#e%f.sqlite") == "file:/a b/c%3fd%23e%25f.sqlite?immutable=1")
    }

    @Test func aStoreIsNotMergedIntoItselfHoweverItIsSpelt() throws {
        // Given a store, a symlink to it, a hard link to it and a `..` spelling of it
        let path = try closedStore("r")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let link = folder.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let hard = folder.appendingPathComponent("hard.sqlite").path
        try FileManager.default.linkItem(atPath: path, toPath: hard)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let store = try ResultsStore(path: path, create: false)
        for source in [link, hard, folder.appendingPathComponent("sub/../wise.sqlite").path] {
            // When it is merged into itself / Then it is a usage error naming it as the store being merged into
            #expect {
                try store.merge(from: [source])
            } throws: { error in
                (error as? StoreError)?.kind == .usage && "\(error)".contains("is the store being merged into")
            }
        }
        #expect(isSameFile(link, path) && !isSameFile(link, folder.appendingPathComponent("other.sqlite").path))
    }
}
