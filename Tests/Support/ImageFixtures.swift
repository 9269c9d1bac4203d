import Foundation

/// Small real images built in code: PNGs with a valid zlib stream and CRCs, and JPEG/WebP headers.
public enum ImageFixtures {
    /// A valid 2×2 RGB PNG whose colour depends on `seed`, so each seed gives other bytes.
    public static func png(seed: Int) -> Data {
        let width = 2, height = 2
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in 0..<width {
                raw += [UInt8(truncatingIfNeeded: seed), UInt8(truncatingIfNeeded: seed >> 8 &+ x), UInt8(truncatingIfNeeded: y &+ 7)]
            }
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return Data(out)
    }

    /// A `size`×`size` RGB PNG of seeded noise, stored without compression, so it is as large as
    /// real generated images of that size (512 px: about 0.75 MiB): for benchmarks.
    public static func noisePNG(seed: Int, size: Int) -> Data {
        var raw = [UInt8](repeating: 0, count: size * (size * 3 + 1))
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        for row in 0..<size {
            let start = row * (size * 3 + 1)
            raw[start] = 0  // filter: none
            for i in 1...(size * 3) {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                raw[start + i] = UInt8(truncatingIfNeeded: state)
            }
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(UInt32(size)) + be32(UInt32(size)) + [8, 2, 0, 0, 0])
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return Data(out)
    }

    /// Bytes that start like a JPEG (SOI + APP0 JFIF); enough for content sniffing.
    public static func jpeg(seed: Int) -> Data {
        Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0] + be32(UInt32(seed)) + [0xFF, 0xD9])
    }

    /// Bytes that start like a WebP (RIFF….WEBPVP8 ); enough for content sniffing.
    public static func webp(seed: Int) -> Data {
        Data(Array("RIFF".utf8) + [20, 0, 0, 0] + Array("WEBPVP8 ".utf8) + be32(UInt32(seed)) + [0, 0, 0, 0])
    }

    /// Writes `{id}.png` for each id into a folder.
    public static func writeFolder(_ directory: URL, ids: some Sequence<Int>, seedOffset: Int = 0) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for id in ids { try png(seed: id + seedOffset).write(to: directory.appendingPathComponent("\(id).png")) }
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }

    static func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + payload
        return be32(UInt32(payload.count)) + typed + be32(crc32(typed))
    }

    /// A zlib stream of stored (uncompressed) deflate blocks of at most 65,535 bytes each.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(data.count + data.count / 65_535 * 5 + 16)
        var start = 0
        repeat {
            let end = min(start + 65_535, data.count)
            let len = UInt16(end - start)
            out += [end == data.count ? 1 : 0, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)]
            out += data[start..<end]
            start = end
        } while start < data.count
        return out + be32(b << 16 | a)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
