import Foundation
import Testing
import WiseCore
import WiseCrypto

/// libcrypto's SHA-256 gives the same digests as the portable one and the published vectors.
@Suite struct OpenSSLHasherTests {
    @Test func knownVectors() {
        // Given the FIPS 180-2 examples / Then both hashers give the published digests
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (text, digest) in vectors {
            #expect(OpenSSLHasher().hex(Data(text.utf8)) == digest)
            #expect(SwiftHasher().hex(Data(text.utf8)) == digest)
        }
    }

    @Test func agreesWithThePortableHasherOnEverySize() {
        // Given seeded bytes of sizes around block and buffer boundaries, up to a megabyte
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for size in [1, 55, 56, 63, 64, 65, 119, 1000, 4095, 4096, 65_537, 1_048_576] {
            var bytes = [UInt8](repeating: 0, count: size)
            for i in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
            // When hashed both ways / Then the digests are equal
            #expect(OpenSSLHasher().hex(Data(bytes)) == SwiftHasher().hex(Data(bytes)), "size \(size)")
        }
    }
}
