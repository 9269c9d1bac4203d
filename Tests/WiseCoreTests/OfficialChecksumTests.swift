import Foundation
import Testing
@testable import WiseCore
import TestSupport

/// The official prompt files match the SHA-256 the manifest pins.
@Suite struct OfficialChecksumTests {
    @Test(.enabled(if: Tools.hasOfficialFiles, Comment(rawValue: Tools.Reason.officialFiles)))
    func officialFilesMatchTheirPinnedChecksums() throws {
        // Given the official copy
        let dir = try #require(TestCatalogue.officialDirectory)
        for set in CatalogueManifest.official.sets {
            for file in set.files {
                // When each file is hashed / Then it matches the manifest
                let data = try Data(contentsOf: dir.appendingPathComponent(file.path))
                #expect(SHA256.hex(data) == file.sha256, "\(file.path)")
            }
        }
    }
}
