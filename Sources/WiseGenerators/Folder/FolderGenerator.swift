import Foundation
import Synchronization
import WiseCore

/// The `folder` generator: each image was made elsewhere and sits in a folder (`{id}.png`,
/// `{id}_s{sample}.png`; PNG, JPEG or WebP), found rather than made.
///
/// The folder is listed once, at the first item; each image is checked and hashed when its item comes.
public final class FolderGenerator: Generator {
    public let spec: AdapterSpec
    public let folder: ImageFolder
    private let listing = Mutex<ImageFolder.Listing?>(nil)

    public init(directory: URL) throws {
        folder = ImageFolder(directory: directory.standardizedFileURL)
        try folder.validate()
        spec = AdapterSpec(adapter: "folder", parameters: ["path": folder.directory.path])
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        let entry = folder.entry(ImageFolder.ImageKey(promptID: item.promptID, sampleIndex: item.sampleIndex), in: try currentListing())
        guard entry.isUsable, let path = entry.path, let sha = entry.sha256, let format = entry.format else {
            throw GenerationFailure(entry.problem ?? "no image for prompt \(item.promptID)")
        }
        return GeneratedImage(path: path, sha256: sha, format: format, byteCount: entry.byteCount, seconds: nil, metadata: nil)
    }

    /// The folder's listing, made on first use.
    func currentListing() throws -> ImageFolder.Listing {
        try listing.withLock { cached in
            if let cached { return cached }
            let made = try folder.list(ids: nil, samples: true)
            cached = made
            return made
        }
    }
}
