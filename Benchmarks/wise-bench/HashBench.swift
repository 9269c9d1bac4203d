import Foundation
import WiseCore

/// `hash`: how fast wise's hasher (libcrypto) hashes a folder of images, reading excluded, beside a
/// plain-Swift SHA-256 as the baseline that decided for libcrypto.
enum HashBench {
    static func run(_ arguments: Arguments) throws {
        let dir = try arguments.required("--images")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let files = try names.map { try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent($0)) }
        let bytes = files.reduce(0) { $0 + $1.count }
        let hashers: [(String, (Data) -> String)] = [
            ("plain Swift (baseline)", { data in SHA256.hexString(data.withUnsafeBytes { var h = PortableSHA256(); h.update($0); return h.finalize() }) }),
            ("libcrypto (WiseCrypto, wise's)", { SHA256.hex($0) }),
        ]
        var rates: [Double] = []
        for (label, hash) in hashers {
            let start = monotonicSeconds()
            var check = 0
            for file in files { check ^= hash(file).utf8.first.map(Int.init) ?? 0 }
            let seconds = monotonicSeconds() - start
            rates.append(Double(bytes) / seconds)
            print(String(format: "%@: %d files, %.1f MB in %.3f s = %.0f MB/s (check %d)", label, files.count,
                         Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds, check))
        }
        print(String(format: "libcrypto ÷ plain Swift: %.2f×", rates[1] / rates[0]))
    }
}
