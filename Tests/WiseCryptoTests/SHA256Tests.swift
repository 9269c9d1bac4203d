import Foundation
import Testing
import WiseCrypto

/// The one hasher gives the published digests, one-shot and fed in pieces alike.
@Suite struct SHA256Tests {
    @Test func knownVectors() {
        // Given the FIPS 180-4 example messages / When hashed every way / Then the published digests come out
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (text, digest) in vectors {
            #expect(SHA256.hex(text) == digest)
            #expect(SHA256.hex(Data(text.utf8)) == digest)
            #expect(SHA256.hex(Array(text.utf8)) == digest)
        }
    }

    @Test func incrementalUpdatesMatchOneShot() {
        // Given a million 'a's fed in uneven pieces, some from non-contiguous sequences
        var hasher = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 999)
        var fed = 0
        var turn = 0
        while fed < 1_000_000 {
            let n = min(piece.count, 1_000_000 - fed)
            if turn % 2 == 0 { hasher.update(piece[0..<n]) } else { hasher.update(piece[0..<n].lazy.map { $0 }) }
            fed += n; turn += 1
        }
        // Then the digest is the published one for that message
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func oneShotAndStreamingAgreeOnEverySize() {
        // Given seeded bytes of sizes around block boundaries, up to a megabyte
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for size in [0, 1, 55, 56, 63, 64, 65, 119, 1000, 4095, 4096, 65_537, 1_048_576] {
            var bytes = [UInt8](repeating: 0, count: size)
            for i in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
            // When hashed in one call and in two pieces / Then the digests are equal
            var streamed = SHA256()
            streamed.update(bytes[0..<size / 3])
            streamed.update(Data(bytes[(size / 3)...]))
            #expect(SHA256.hex(Data(bytes)) == SHA256.hexString(streamed.finalize()), "size \(size)")
        }
    }
}
