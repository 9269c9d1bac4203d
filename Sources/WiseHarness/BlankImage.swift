import Foundation
import WiseCLIP
import WiseCore
import WiseGenerators

/// Finds images of one flat colour: what safety checkers and content filters leave in place of a refused image.
///
/// Only files small for their pixel count are decoded (a flat image compresses to a few bytes per
/// thousand pixels; a real one to about one byte per pixel), so a folder of ordinary images
/// costs a header read each.
public enum BlankImage {
    /// The refusal recorded for a flat image.
    public static let reason = "the image is one flat colour (what a safety filter leaves in place of a refused image)"
    /// Files above this many bytes per pixel (past a kilobyte of headers) are never decoded: no
    /// flat image is that large.
    static let maxBytesPerPixel = 0.05
    static let headerAllowance = 1024.0
    /// Images with fewer pixels (32×32) are never called flat: icons and test fixtures, not a filter's blank.
    static let minPixels = 1024
    /// How far a channel may vary and still count as flat (JPEG leaves a little noise).
    static let tolerance: UInt8 = 4

    /// Whether the image file at `path` is one flat colour; false for anything unreadable.
    public static func isBlank(path: String, byteCount: Int) -> Bool {
        guard byteCount > 0, byteCount <= 8 << 20, let data = FileManager.default.contents(atPath: path),
              case .success(let info) = ImageCheck.inspect(data) else { return false }
        let (pixels, overflow) = info.width.multipliedReportingOverflow(by: info.height)
        guard !overflow, pixels >= minPixels, Double(data.count) <= maxBytesPerPixel * Double(pixels) + headerAllowance,
              let image = try? RGBImage(decoding: data) else { return false }
        return isBlankPixels(image.pixels)
    }

    /// Whether every pixel's R, G and B lie within `tolerance` of the first pixel's.
    public static func isBlankPixels(_ rgb: [UInt8]) -> Bool {
        guard rgb.count >= 3 else { return false }
        let first = (rgb[0], rgb[1], rgb[2])
        func near(_ a: UInt8, _ b: UInt8) -> Bool { (a > b ? a - b : b - a) <= tolerance }
        var i = 0
        while i + 2 < rgb.count {
            if !near(rgb[i], first.0) || !near(rgb[i + 1], first.1) || !near(rgb[i + 2], first.2) { return false }
            i += 3
        }
        return true
    }

    /// A folder's entry with its refusal set when its image is flat.
    public static func mark(_ entry: ImageRecord) -> ImageRecord {
        guard entry.isUsable, entry.refusal == nil, let path = entry.path, isBlank(path: path, byteCount: entry.byteCount) else { return entry }
        var marked = entry
        marked.refusal = reason
        return marked
    }
}

/// Wraps a generator so each image it makes is checked for a flat colour, whatever made it.
struct RefusalCheckingGenerator: Generator {
    let base: any Generator

    var spec: AdapterSpec { base.spec }
    var startLine: String? { base.startLine }
    func start() async throws { try await base.start() }
    func finish(grace: Double) async { await base.finish(grace: grace) }

    func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        var image = try await base.generate(item)
        if image.refusal == nil, BlankImage.isBlank(path: image.path, byteCount: image.byteCount) {
            image.refusal = BlankImage.reason
        }
        return image
    }
}
