import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        // Given the FIPS 180-4 test messages / When hashed / Then the published digests come out.
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func incrementalUpdatesMatchOneShot() {
        // Given a million 'a's fed in uneven pieces
        var hasher = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 999)
        var fed = 0
        while fed < 1_000_000 { let n = min(piece.count, 1_000_000 - fed); hasher.update(piece[0..<n]); fed += n }
        // Then the digest is the published one for that message
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

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
