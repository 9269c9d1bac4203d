import Foundation
import WiseCore
import WiseCrypto

/// `hash`: how fast each SHA-256 implementation hashes a folder of images, reading excluded.
enum HashBench {
    static func run(_ arguments: Arguments) throws {
        let dir = try arguments.required("--images")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let files = try names.map { try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent($0)) }
        let bytes = files.reduce(0) { $0 + $1.count }
        for (label, hasher) in [("swift (WiseCore)", SwiftHasher() as any ContentHasher), ("libcrypto (WiseCrypto)", OpenSSLHasher())] {
            let start = monotonicSeconds()
            var check: UInt8 = 0
            for file in files { check ^= hasher.sha256(file)[0] }
            let seconds = monotonicSeconds() - start
            print(String(format: "%@: %d files, %.1f MB in %.3f s = %.0f MB/s (check %d)", label, files.count,
                         Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds, Int(check)))
        }
    }
}
