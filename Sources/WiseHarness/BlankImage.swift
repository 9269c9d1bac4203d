import Foundation
import WiseCLIP
import WiseCore
import WiseGenerators

/// Finds images of one flat colour: what safety checkers and content filters leave in place of a refused image.
///
/// Only files the image check found small for their pixel count (`ImageCheck.mayBeFlat`, known
/// from the pass that hashed them) are read again and decoded, so ordinary images cost nothing.
public enum BlankImage {
    /// The refusal recorded for a flat image.
    public static let reason = "the image is one flat colour (what a safety filter leaves in place of a refused image)"
    /// How far a channel may vary and still count as flat (JPEG leaves a little noise).
    static let tolerance: UInt8 = 4

    /// Whether the image file at `path` is one flat colour; false for anything unreadable.
    public static func isBlank(path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), case .success(let info) = ImageCheck.inspect(data),
              ImageCheck.mayBeFlat(info, byteCount: data.count), let image = try? RGBImage(decoding: data) else { return false }
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
        guard entry.isUsable, entry.mayBeFlat, entry.refusal == nil, let path = entry.path, isBlank(path: path) else { return entry }
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
        if image.refusal == nil, image.mayBeFlat, BlankImage.isBlank(path: image.path) {
            image.refusal = BlankImage.reason
        }
        return image
    }
}
