internal import CCrypto
import Foundation

/// SHA-256 through the system's libcrypto: the one hasher of wise, for image bytes, catalogue
/// files, model files, prompt texts and identities alike.
///
/// Why libcrypto: it runs OpenSSL's assembly (SHA-NI where the CPU has it); `wise-bench hash`
/// measures it against a plain-Swift SHA-256 (the portable implementation this replaced was
/// about 6× slower, enough to make registering 1000 images slower than reading them), and it is
/// on every machine that has libcurl's OpenSSL build, so it costs no build time. swift-crypto
/// would bring the same kind of assembly through BoringSSL at the cost of compiling it.
///
/// Feed bytes with `update` and read the digest once with `finalize`; a value is not meant to be
/// copied mid-stream (copies share one libcrypto context).
public struct SHA256: @unchecked Sendable {
    /// The libcrypto digest context, freed with the last copy.
    private final class Context {
        let pointer: OpaquePointer
        init() {
            // EVP_MD_CTX_new fails only when memory is exhausted, where nothing else could go on either.
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                fatalError("libcrypto could not start a SHA-256 digest (out of memory?)")
            }
            pointer = context
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }

    private let context = Context()

    public init() {}

    /// Feeds more bytes into the digest.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update(raw: $0) }
    }

    /// Feeds more bytes into the digest.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ update(raw: UnsafeRawBufferPointer($0)) }) != nil { return }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update(raw: $0) }
    }

    private func update(raw buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // EVP_DigestUpdate cannot fail for SHA-256 on a started context.
        _ = EVP_DigestUpdate(context.pointer, base, buffer.count)
    }

    /// Finishes the digest and returns its 32 bytes.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context.pointer, $0.baseAddress, &length) }
        return digest
    }

    /// The 32-byte digest of some bytes, in one call.
    public static func digest(_ data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { buffer in
            digest.withUnsafeMutableBufferPointer { out in
                var length: UInt32 = 0
                // An empty buffer may have no address; libcrypto reads no byte of it anyway.
                let source = buffer.baseAddress ?? UnsafeRawPointer(out.baseAddress!)
                _ = EVP_Digest(source, buffer.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        return digest
    }

    /// The lowercase hex SHA-256 of some bytes.
    public static func hex(_ data: Data) -> String { hexString(digest(data)) }

    /// The lowercase hex SHA-256 of some bytes.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    /// The lowercase hex SHA-256 of a string's UTF-8 bytes.
    public static func hex(_ string: String) -> String { hex(Data(string.utf8)) }

    /// Bytes as lowercase hex.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
