import Foundation

/// Checks an image file beyond its magic bytes, without decoding pixels: the header's
/// dimensions, that the file is as long as its structure says, and a pixel cap.
///
/// What the official evaluators would choke on (a truncated upload, a bare signature, a
/// decompression bomb) is refused at registration, so it is never sent to a judge.
public enum ImageCheck {
    /// Pillow's default `MAX_IMAGE_PIXELS`, past which the official scripts' PIL warns of a
    /// decompression bomb; wise refuses larger images outright.
    public static let maxPixels = 89_478_485

    /// The bytes of a file, as the checks read them.
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// What a checked image is.
    public struct Info: Sendable, Equatable {
        public var format: ImageFormat
        public var width: Int
        public var height: Int
        public init(format: ImageFormat, width: Int, height: Int) { self.format = format; self.width = width; self.height = height }
    }

    /// Files above this many bytes per pixel (past a kilobyte of headers) cannot be one flat
    /// colour: a flat image compresses to a few bytes per thousand pixels, a real one to about one
    /// byte per pixel.
    static let flatMaxBytesPerPixel = 0.05
    static let flatHeaderAllowance = 1024.0
    /// Images with fewer pixels (32×32) are never called flat: icons and test fixtures, not a filter's blank.
    static let flatMinPixels = 1024

    /// Whether an image of this size and byte count could be one flat colour, from its header alone:
    /// only those are worth decoding to check.
    public static func mayBeFlat(_ info: Info, byteCount: Int) -> Bool {
        let (pixels, overflow) = info.width.multipliedReportingOverflow(by: info.height)
        return !overflow && pixels >= flatMinPixels && byteCount > 0
            && Double(byteCount) <= flatMaxBytesPerPixel * Double(pixels) + flatHeaderAllowance
    }

    /// The format and dimensions of an image, or a one-line reason it is unusable.
    public static func inspect(_ data: Data) -> Result<Info, ImageProblem> {
        // Read in place: registering walks a megabyte-sized file per image, and a copy of each
        // showed in the benchmark's CPU.
        data.withUnsafeBytes { raw in inspect(raw.bindMemory(to: UInt8.self)) }
    }

    /// The format and dimensions of an image held in memory, or a one-line reason it is unusable.
    static func inspect(_ bytes: Bytes) -> Result<Info, ImageProblem> {
        guard let format = ImageFormat.sniff(bytes) else {
            return .failure(ImageProblem(bytes.isEmpty ? "is empty" : "is not a PNG, JPEG or WebP image"))
        }
        let dimensions: Result<(Int, Int), ImageProblem>
        switch format {
        case .png: dimensions = png(bytes)
        case .jpeg: dimensions = jpeg(bytes)
        case .webp: dimensions = webp(bytes)
        }
        return dimensions.flatMap { width, height in
            if let problem = sizeProblem(width, height, format) { return .failure(problem) }
            return .success(Info(format: format, width: width, height: height))
        }
    }

    /// Why a header's size is unusable (zero, or over the pixel cap), or nil; checked as soon as a
    /// format's header is read, before its structure is walked.
    static func sizeProblem(_ width: Int, _ height: Int, _ format: ImageFormat) -> ImageProblem? {
        guard width > 0, height > 0 else { return ImageProblem("has a \(format.rawValue.uppercased()) header with size \(width)×\(height)") }
        guard width <= maxPixels / height else {
            // Header sizes reach 2^32 each: the product is computed without overflow for the message.
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            let count = overflow ? "more than \(Int.max)" : "\(pixels)"
            return ImageProblem("is \(width)×\(height) = \(count) pixels, over the cap of \(maxPixels) (a decompression bomb?)")
        }
        return nil
    }

    static func be32(_ b: Bytes, _ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
    static func le16(_ b: Bytes, _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    static func le24(_ b: Bytes, _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 }
    static func le32(_ b: Bytes, _ i: Int) -> Int { le16(b, i) | le16(b, i + 2) << 16 }

    /// PNG: the IHDR chunk first with a valid CRC, then chunks that fit the file, an IDAT and an IEND.
    static func png(_ b: Bytes) -> Result<(Int, Int), ImageProblem> {
        guard b.count >= 8 + 25, be32(b, 8) == 13, Array(b[12..<16]) == Array("IHDR".utf8) else {
            return .failure(ImageProblem("is a PNG signature without an IHDR header (truncated?)"))
        }
        guard crc32(b[12..<29]) == UInt32(be32(b, 29)) else { return .failure(ImageProblem("has a PNG header with a wrong CRC (corrupt)")) }
        let width = be32(b, 16), height = be32(b, 20)
        if let problem = sizeProblem(width, height, .png) { return .failure(problem) }
        var offset = 8, sawData = false
        while offset + 12 <= b.count {
            let length = be32(b, offset)
            let type = String(decoding: b[(offset + 4)..<(offset + 8)], as: UTF8.self)
            guard length <= b.count - offset - 12 else { return .failure(ImageProblem("is a PNG cut short: chunk \(type) needs \(length) bytes")) }
            if type == "IDAT" { sawData = true }
            if type == "IEND" {
                return sawData ? .success((width, height)) : .failure(ImageProblem("is a PNG without image data (no IDAT chunk)"))
            }
            offset += 12 + length
        }
        return .failure(ImageProblem("is a PNG cut short: no IEND chunk"))
    }

    /// JPEG: a start-of-frame segment with the dimensions, and an end-of-image marker.
    static func jpeg(_ b: Bytes) -> Result<(Int, Int), ImageProblem> {
        var offset = 2
        var size: (Int, Int)?
        while offset + 4 <= b.count, size == nil {
            guard b[offset] == 0xFF else { break }
            let marker = b[offset + 1]
            if marker == 0xFF { offset += 1; continue }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }
            if marker == 0xD9 || marker == 0xDA { break }
            let length = Int(b[offset + 2]) << 8 | Int(b[offset + 3])
            guard length >= 2, offset + 2 + length <= b.count else { break }
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker), length >= 7 {
                size = (Int(b[offset + 7]) << 8 | Int(b[offset + 8]), Int(b[offset + 5]) << 8 | Int(b[offset + 6]))
            }
            offset += 2 + length
        }
        guard let size else { return .failure(ImageProblem("is a JPEG without a frame header (truncated or corrupt)")) }
        // The end-of-image marker, allowing for the padding some encoders append.
        let tail = b.suffix(4096)
        guard zip(tail, tail.dropFirst()).contains(where: { $0 == 0xFF && $1 == 0xD9 }) else {
            return .failure(ImageProblem("is a JPEG cut short: no end-of-image marker"))
        }
        return .success(size)
    }

    /// WebP: the RIFF length matches the file, and the first chunk (VP8, VP8L or VP8X) gives the size.
    static func webp(_ b: Bytes) -> Result<(Int, Int), ImageProblem> {
        guard b.count >= 30 else { return .failure(ImageProblem("is a WebP too short to hold an image")) }
        let riff = le32(b, 4)
        guard riff + 8 == b.count || riff + 9 == b.count else {
            return .failure(ImageProblem("is a WebP whose RIFF header says \(riff + 8) bytes but the file has \(b.count)"))
        }
        switch String(decoding: b[12..<16], as: UTF8.self) {
        case "VP8X": return .success((le24(b, 24) + 1, le24(b, 27) + 1))
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { return .failure(ImageProblem("is a WebP with a corrupt VP8 frame header")) }
            return .success((le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF))
        case "VP8L":
            guard b[20] == 0x2F else { return .failure(ImageProblem("is a WebP with a corrupt VP8L header")) }
            let bits = le32(b, 21)
            return .success(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        default: return .failure(ImageProblem("is a WebP without a VP8, VP8L or VP8X chunk"))
        }
    }

    /// The CRC-32 PNG uses (ISO 3309, as in zlib).
    public static func crc32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Why an image file cannot be used; the text follows the file name ("3.png is empty").
public struct ImageProblem: Error, Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
}
