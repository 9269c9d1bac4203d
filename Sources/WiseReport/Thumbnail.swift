import CImage
import Foundation
import WiseCore

/// Downscaled JPEG copies of run images for the HTML gallery, kept in one folder under names made
/// from the source image's SHA-256, so a report written again reuses what is already there.
public struct ThumbnailFolder: Sendable {
    /// The folder the thumbnails are written into.
    public var folder: URL
    /// The longest side of a thumbnail in pixels (smaller images keep their size).
    public var longSide: Int
    /// The JPEG quality, 1–100.
    public var quality: Int

    public init(folder: URL, longSide: Int = 256, quality: Int = 80) {
        self.folder = folder; self.longSide = longSide; self.quality = quality
    }

    /// The file name of the thumbnail of an image whose SHA-256 is `sha256`: the hash and the settings.
    public func name(for sha256: String) -> String { "\(sha256.prefix(64))-\(longSide)q\(quality).jpg" }

    /// What `thumbnail(of:sha256:)` did, for the report's count of work done.
    public enum Outcome: Sendable, Equatable {
        case made, reused
    }

    /// The thumbnail's file name inside `folder`, writing it only when it is not there yet.
    ///
    /// `sha256` must be the hash of `data` (the caller has checked it against the store), and it
    /// must be 64 hex digits, so that the name cannot leave the folder.
    public func thumbnail(of data: Data, sha256: String) -> Result<(name: String, outcome: Outcome), ImageProblem> {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { return .failure(ImageProblem("not shown: the recorded hash is not SHA-256 hex")) }
        let name = name(for: sha256)
        let target = folder.appendingPathComponent(name)
        if let size = (try? FileManager.default.attributesOfItem(atPath: target.path))?[.size] as? NSNumber, size.intValue > 0 {
            return .success((name, .reused))
        }
        switch Self.jpeg(of: data, longSide: longSide, quality: quality) {
        case .failure(let problem): return .failure(problem)
        case .success(let jpeg):
            do { try jpeg.write(to: target, options: .atomic) } catch {
                return .failure(ImageProblem("not shown: cannot write its thumbnail \(target.path): \(error.localizedDescription)"))
            }
            return .success((name, .made))
        }
    }

    /// A JPEG of the image in `data` with its longer side at most `longSide`, through CImage.
    ///
    /// The bytes pass `ImageCheck` first (the one definition of a valid image, with its pixel cap);
    /// the C side checks the header and the cap again before it allocates.
    public static func jpeg(of data: Data, longSide: Int, quality: Int) -> Result<Data, ImageProblem> {
        guard (1...65535).contains(longSide), (1...100).contains(quality) else {
            return .failure(ImageProblem("cannot make a thumbnail \(longSide) px long at quality \(quality)"))
        }
        if case .failure(let problem) = ImageCheck.inspect(data) { return .failure(ImageProblem("not shown: the file \(problem.text)")) }
        var thumbnail = cimage_thumbnail()
        var message = [CChar](repeating: 0, count: 256)
        let status: cimage_status = data.withUnsafeBytes { raw in
            cimage_thumbnail_jpeg(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, UInt64(ImageCheck.maxPixels),
                                  UInt32(longSide), Int32(quality), &thumbnail, &message, message.count)
        }
        defer { cimage_thumbnail_free(&thumbnail) }
        guard status == CIMAGE_OK, let bytes = thumbnail.data else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(ImageProblem("not shown: no thumbnail could be made (\(text.isEmpty ? "code \(status.rawValue)" : text))"))
        }
        return .success(Data(bytes: bytes, count: thumbnail.length))
    }
}
