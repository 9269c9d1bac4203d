import CCrypto
import Foundation
import WiseCore

/// SHA-256 through the system's libcrypto: the hasher the `wise` binary uses for image bytes.
///
/// Why libcrypto rather than swift-crypto: both run OpenSSL-family assembly (SHA-NI where the CPU
/// has it, about 1.1 GB/s on the project's machines against ~145 MB/s for WiseCore's portable
/// Swift code), but libcrypto is already on every machine that has libcurl's OpenSSL build, costs
/// no build time, and keeps one C library behind one small target, as libcurl and SQLite are.
public struct OpenSSLHasher: ContentHasher {
    public init() {}

    public func sha256(_ data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBytes { buffer in
            digest.withUnsafeMutableBufferPointer { out in
                var length: UInt32 = 0
                // EVP_Digest cannot fail for SHA-256 on valid pointers; a zero return would be a broken libcrypto.
                let ok = EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, &length, EVP_sha256(), nil)
                precondition(ok == 1 && length == 32, "libcrypto EVP_Digest(SHA-256) failed")
            }
        }
        return digest
    }
}
