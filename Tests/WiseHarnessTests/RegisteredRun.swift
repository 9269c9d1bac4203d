import Foundation
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// A fresh store in a new temporary folder with a folder of images `ids` registered as a verified run.
struct RegisteredRun {
    var store: ResultsStore
    var run: StoredRun
    var fixture: TestCatalogue
    /// The temporary folder holding the store and the images (`img/`).
    var folder: URL

    init(_ ids: ClosedRange<Int>, name: String = "r", label: String = "harness") throws {
        fixture = try TestCatalogue.make()
        folder = try TempDirectory.make(label)
        try ImageFixtures.writeFolder(folder.appendingPathComponent("img"), ids: ids)
        store = try ResultsStore(path: folder.appendingPathComponent("s.sqlite").path, create: true)
        let registration = FolderRegistration(name: name, set: .verified, scoringProtocol: nil,
                                              images: folder.appendingPathComponent("img").path, strict: false)
        let catalogue = try fixture.load(.verified)
        let store = self.store
        run = try Console.$sink.withValue(ConsoleRecorder()) {
            try registration.record(try registration.scan(catalogue), catalogue: catalogue, in: store)
        }
    }
}
