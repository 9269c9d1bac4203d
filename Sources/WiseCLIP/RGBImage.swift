import CImage
import Foundation
import WiseCore

/// An 8-bit RGB image: rows top to bottom, pixels left to right, R G B bytes, no padding.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// width × height × 3 bytes.
    public var pixels: [UInt8]

    /// Wraps packed RGB bytes; the count must be width × height × 3.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw CLIPError(.badData, "RGB image \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The default pixel cap: the one every image of wise is held to (`ImageCheck.maxPixels`).
    public static let defaultMaxPixels = ImageCheck.maxPixels

    /// Decodes PNG, JPEG or WebP bytes. Throws `CLIPError` (bad data, unsupported) with the
    /// decoder's message; refuses images over `maxPixels` before allocating their pixels.
    ///
    /// Whether the bytes are a valid image at all is `ImageCheck`'s to say (the one definition of
    /// a valid header, the same as at registration); the C decoder is only handed bytes that
    /// passed it, with the same cap, and keeps its own size checks as a second line of defence.
    public init(decoding data: Data, maxPixels: Int = RGBImage.defaultMaxPixels) throws {
        if case .failure(let problem) = ImageCheck.inspect(data) {
            throw CLIPError(.badData, "the image \(problem.text)")
        }
        var header = cimage_header()
        var message = [CChar](repeating: 0, count: 256)
        let status: cimage_status = data.withUnsafeBytes { raw in
            cimage_read_header(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, UInt64(maxPixels), &header, &message, message.count)
        }
        guard status == CIMAGE_OK else { throw Self.error(status, message) }
        let length = Int(header.rgb_length)
        var pixels = [UInt8](repeating: 0, count: length)
        let decoded: cimage_status = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { out in
                cimage_decode_rgb8(
                    raw.bindMemory(to: UInt8.self).baseAddress, raw.count, UInt64(maxPixels), out.baseAddress, out.count,
                    &header, &message, message.count)
            }
        }
        guard decoded == CIMAGE_OK else { throw Self.error(decoded, message) }
        try self.init(width: Int(header.width), height: Int(header.height), pixels: pixels)
    }

    /// Decodes the PNG or JPEG file at `path`.
    public init(contentsOf path: String, maxPixels: Int = RGBImage.defaultMaxPixels) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(.missingInput, "\(path): cannot read the image")
        }
        do {
            try self.init(decoding: data, maxPixels: maxPixels)
        } catch let error as CLIPError {
            throw CLIPError(error.kind, "\(path): \(error.message)")
        }
    }

    private static func error(_ status: cimage_status, _ message: [CChar]) -> CLIPError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CLIPError(.badData, text.isEmpty ? "image decoding failed (code \(status.rawValue))" : text)
    }
}
