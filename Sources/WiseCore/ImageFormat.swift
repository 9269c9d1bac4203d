import Foundation

/// An image encoding wise accepts, recognised by content rather than by file name.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp

    /// The MIME type, as sent in a data URL.
    public var mimeType: String { "image/\(rawValue)" }

    /// Recognises an image by its first bytes; nil when it is none of the accepted formats.
    public static func sniff<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        let head = Array(bytes.prefix(16))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return .webp }
        return nil
    }
}

/// One image of a run, or why there is none usable, whatever made it: the record the store keeps.
///
/// A folder scan, a generator and an import all describe their images this way, so the store is
/// shaped by images, not by where they came from.
public struct ImageRecord: Sendable, Equatable {
    public var promptID: Int
    /// Which sample of the prompt this is (0 for the first; `--samples N` makes 0…N-1).
    public var sampleIndex: Int
    public var path: String?
    public var sha256: String?
    public var format: ImageFormat?
    public var byteCount: Int
    /// Why the image is unusable (missing, unreadable, not an image); nil when it is fine.
    public var problem: String?
    /// Why the image (or its absence) is a refusal: a safety checker's blank, a flat image, an
    /// API's content policy; nil otherwise.
    public var refusal: String?
    /// Whether the file is small enough for its pixels to be one flat colour (`ImageCheck.mayBeFlat`),
    /// so the flat-image check decodes it; false for every ordinary image, which is never read again.
    public var mayBeFlat = false
    public var isUsable: Bool { problem == nil }

    public init(promptID: Int, sampleIndex: Int = 0, path: String?, sha256: String? = nil, format: ImageFormat? = nil,
                byteCount: Int, problem: String?, refusal: String? = nil) {
        self.promptID = promptID; self.sampleIndex = sampleIndex; self.path = path; self.sha256 = sha256
        self.format = format; self.byteCount = byteCount; self.problem = problem; self.refusal = refusal
    }
}

/// Finds the image of each prompt id in a folder (`{id}.png`, `.jpg`, `.jpeg`, `.webp`) and checks it.
public struct ImageFolder: Sendable {
    public let directory: URL
    public static let extensions = ["png", "jpg", "jpeg", "webp"]

    public init(directory: URL) { self.directory = directory }

    /// One prompt id's image as the folder holds it: the neutral record every image source gives the store.
    public typealias Entry = ImageRecord

    /// What a scan found.
    public struct Scan: Sendable {
        public var entries: [Entry]
        /// Files that match no prompt id (such as `1001.png` or `notes.txt`).
        public var ignored: [String]
        public var usable: [Entry] { entries.filter(\.isUsable) }
        public var problems: [Entry] { entries.filter { !$0.isUsable } }
    }

    /// Checks that the folder exists and is a directory.
    public func validate() throws {
        switch PathKind(directory.path) {
        case .missing:
            throw FileError("image folder \(directory.path) does not exist; pass the folder that holds 1.png … 1000.png with --images", kind: .missingInput)
        case .file:
            throw FileError("--images \(directory.path) is a file, expected the folder that holds 1.png … 1000.png", kind: .missingInput)
        case .directory: break
        }
    }

    /// The image files of a folder by prompt id and sample (`17.png` is sample 0, `17_s2.png`
    /// sample 2), read from one listing of the folder.
    public struct Listing: Sendable {
        /// Candidate file names by id and sample, best format first.
        public var files: [ImageKey: [String]]
        /// Files that match no wanted prompt id (such as `1001.png` or `notes.txt`).
        public var ignored: [String]
    }

    /// A prompt id and sample index.
    public struct ImageKey: Hashable, Sendable {
        public var promptID: Int
        public var sampleIndex: Int
        public init(promptID: Int, sampleIndex: Int) { self.promptID = promptID; self.sampleIndex = sampleIndex }
    }

    /// Lists the folder once: the image files of the wanted ids (every id when nil; samples too
    /// when `samples`), the rest ignored.
    public func list(ids: [Int]?, samples: Bool = false) throws -> Listing {
        try validate()
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw FileError("cannot list image folder \(directory.path): \(error.localizedDescription)", kind: .missingInput)
        }
        var files: [ImageKey: [String]] = [:]
        var ignored: [String] = []
        let wanted = ids.map(Set.init)
        for name in names.sorted() {
            let url = URL(fileURLWithPath: name)
            if let key = Self.key(stem: url.deletingPathExtension().lastPathComponent, samples: samples), wanted?.contains(key.promptID) ?? true,
               ImageFolder.extensions.contains(url.pathExtension.lowercased()) {
                files[key, default: []].append(name)
            } else if !name.hasPrefix(".") {
                ignored.append(name)
            }
        }
        for key in files.keys { files[key]!.sort { rank($0) < rank($1) } }
        return Listing(files: files, ignored: ignored)
    }

    /// The id and sample a file stem names: `17` (sample 0), or `17_s2` when samples are wanted.
    static func key(stem: String, samples: Bool) -> ImageKey? {
        if let id = Int(stem), String(id) == stem { return ImageKey(promptID: id, sampleIndex: 0) }
        guard samples, let mark = stem.range(of: "_s"), let id = Int(stem[..<mark.lowerBound]), let sample = Int(stem[mark.upperBound...]),
              "\(id)_s\(sample)" == stem, sample > 0 else { return nil }
        return ImageKey(promptID: id, sampleIndex: sample)
    }

    /// The checked, hashed image of one id and sample from a listing (or why there is none).
    public func entry(_ key: ImageKey, in listing: Listing) -> Entry {
        guard let ranked = listing.files[key], let best = ranked.first else {
            let stem = key.sampleIndex == 0 ? "\(key.promptID)" : "\(key.promptID)_s\(key.sampleIndex)"
            var entry = Entry(promptID: key.promptID, path: nil, byteCount: 0, problem: "no image (\(stem).png, .jpg, .jpeg or .webp)")
            entry.sampleIndex = key.sampleIndex
            return entry
        }
        var entry = inspect(id: key.promptID, name: best)
        entry.sampleIndex = key.sampleIndex
        if ranked.count > 1 && entry.isUsable {
            entry.problem = "several images for this id (\(ranked.joined(separator: ", "))); keep one"
        }
        return entry
    }

    /// Looks for the image of every id, hashing each one found, from one listing of the folder.
    /// `progress` is called with the number of ids looked at so far.
    public func scan(ids: [Int], progress: ((Int) -> Void)? = nil) throws -> Scan {
        let listing = try list(ids: ids)
        var entries: [Entry] = []
        for id in ids.sorted() {
            entries.append(entry(ImageKey(promptID: id, sampleIndex: 0), in: listing))
            progress?(entries.count)
        }
        return Scan(entries: entries, ignored: listing.ignored)
    }

    private func rank(_ name: String) -> Int {
        ImageFolder.extensions.firstIndex(of: URL(fileURLWithPath: name).pathExtension.lowercased()) ?? 99
    }

    private func inspect(id: Int, name: String) -> Entry {
        let url = directory.appendingPathComponent(name)
        var entry = Entry(promptID: id, path: url.path, byteCount: 0, problem: nil)
        if PathKind(url.path) == .directory {
            entry.problem = "\(name) is a directory, not an image"
            return entry
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            entry.problem = "\(name) cannot be read (\(error.localizedDescription))"
            return entry
        }
        entry.byteCount = data.count
        switch ImageCheck.inspect(data) {
        case .failure(let problem):
            entry.problem = "\(name) \(problem.text)"
            return entry
        case .success(let info):
            entry.format = info.format
            entry.mayBeFlat = ImageCheck.mayBeFlat(info, byteCount: data.count)
        }
        entry.sha256 = SHA256.hex(data)
        return entry
    }
}
