import Foundation
import WiseCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a local CLIP model is, by content: the SHA-256 of every file that decides its
/// outputs, so new weights in an old folder, or another model under the same folder name,
/// are a different judge, and the same files in another folder are the same judge.
///
/// The files are `config.json`, `model.safetensors`, `vocab.json`, `merges.txt`,
/// `preprocessor_config.json` when present (OpenAI's settings apply otherwise, so its absence
/// is itself part of the identity), and the aesthetic head file when one is used.
public struct CLIPModelIdentity: Codable, Sendable, Equatable {
    /// Lowercase hex SHA-256 by file name (`aesthetic_head` for the head); absent files are not listed.
    public var files: [String: String]
    /// The SHA-256 of `files` as canonical JSON (sorted keys): one value naming the model.
    public var digest: String

    /// The files of a model folder that are hashed, in the order they are read.
    public static let modelFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"]
    /// Files a model folder may lack.
    static let optionalFiles: Set<String> = ["preprocessor_config.json"]

    /// Hashes the model in `directory` (and the head at `aestheticHead`) with `hash` (the one hasher unless a test counts).
    ///
    /// With `cache`, each digest is remembered in `DigestCache.fileName` beside the file, keyed
    /// by name, size, inode and change times; an unchanged file is not read again. The
    /// weights of ViT-L/14 are 1.7 GB, which take seconds to read from a cold disk.
    public init(directory: String, aestheticHead: String? = nil, hash: (Data) -> String = { SHA256.hex($0) }, cache: Bool = true) throws {
        try self.init(directory: directory, aestheticHead: aestheticHead, hash: hash, cache: cache, racyWindow: DigestCache.racyWindow)
    }

    /// As above; files changed less than `racyWindow` seconds before hashing are not remembered.
    init(directory: String, aestheticHead: String? = nil, hash: (Data) -> String, cache: Bool, racyWindow: Double) throws {
        var files: [String: String] = [:]
        var caches: [String: DigestCache] = [:]
        func fileDigest(_ path: String) throws -> String {
            let folder = (path as NSString).deletingLastPathComponent
            var store = caches[folder] ?? (cache ? DigestCache(directory: folder, racyWindow: racyWindow) : DigestCache.disabled)
            defer { caches[folder] = store }
            return try store.digest(of: path, hash: hash)
        }
        for name in Self.modelFiles {
            let path = directory + "/" + name
            if Self.optionalFiles.contains(name), !FileManager.default.fileExists(atPath: path) { continue }
            files[name] = try fileDigest(path)
        }
        if let aestheticHead { files["aesthetic_head"] = try fileDigest(aestheticHead) }
        for store in caches.values { store.save() }
        self.files = files
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        digest = hash(try encoder.encode(files))
    }
}

/// Digests of the files in one folder, remembered in a small JSON file there so that an
/// unchanged file is not hashed again. Any change of size, inode, modification or status-change
/// time (which `cp -p` and `touch -d` cannot set back) makes a file be hashed anew. Writing
/// is best effort: a read-only folder just means hashing every time.
///
/// File times tick coarsely (a few milliseconds on Linux), so a file rewritten in the same
/// tick as it was hashed could look unchanged; as git does for its index, a file changed
/// within `racyWindow` seconds of being hashed is not remembered.
struct DigestCache {
    /// The cache's file name inside the folder.
    static let fileName = ".wise-sha256.json"
    /// Seconds a file must have been left unchanged before its digest is remembered.
    static let racyWindow = 2.0

    /// What is remembered about one file.
    struct Record: Codable, Equatable {
        var size: Int64
        var inode: UInt64
        var modified: String
        var changed: String
        var sha256: String
    }

    /// The cache file's content.
    struct Contents: Codable {
        var version = 1
        var files: [String: Record] = [:]
    }

    let path: String?
    var contents: Contents
    let racyWindow: Double
    var dirty = false

    static let disabled = DigestCache(path: nil, contents: Contents(), racyWindow: racyWindow)

    init(path: String?, contents: Contents, racyWindow: Double) {
        self.path = path
        self.contents = contents
        self.racyWindow = racyWindow
    }

    init(directory: String, racyWindow: Double = DigestCache.racyWindow) {
        let path = directory + "/" + Self.fileName
        let stored = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Contents.self, from: $0) }
        self.init(path: path, contents: stored?.version == 1 ? stored! : Contents(), racyWindow: racyWindow)
    }

    /// The lowercase hex SHA-256 of the file at `path`, from the cache when its record still fits.
    mutating func digest(of path: String, hash: (Data) -> String) throws -> String {
        let name = (path as NSString).lastPathComponent
        let started = Date().timeIntervalSince1970
        let before = try Self.record(path, sha256: "")
        if self.path != nil, let known = contents.files[name], known.sha256.count == 64, { var k = known; k.sha256 = ""; return k }() == before {
            return known.sha256
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CLIPError(.io, "\(path): cannot read it to hash it: \(error.localizedDescription)")
        }
        let digest = hash(data)
        // A file rewritten while it was hashed, or just before, is hashed again next time.
        let settled = [before.modified, before.changed].allSatisfy { (Double($0) ?? .infinity) < started - racyWindow }
        if self.path != nil, settled, try Self.record(path, sha256: "") == before {
            var record = before
            record.sha256 = digest
            contents.files[name] = record
            dirty = true
        }
        return digest
    }

    /// Writes the cache if anything was added; failures are ignored (see the type's note).
    func save() {
        guard dirty, let path else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        guard let data = try? encoder.encode(contents) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The file's size, inode and times, with `sha256` filled in.
    static func record(_ path: String, sha256: String) throws -> Record {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw CLIPError(code == ENOENT ? .missingInput : .io, "\(path): cannot read it to hash it: \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CLIPError(.badData, "\(path): is not a regular file")
        }
        #if canImport(Darwin)
        let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #else
        let (modified, changed) = (info.st_mtim, info.st_ctim)
        #endif
        return Record(
            size: Int64(info.st_size), inode: UInt64(info.st_ino),
            modified: time(modified.tv_sec, modified.tv_nsec), changed: time(changed.tv_sec, changed.tv_nsec), sha256: sha256)
    }

    /// Seconds and nanoseconds as decimal seconds with all nine digits (`1733362800.000004100`).
    static func time<S: BinaryInteger, N: BinaryInteger>(_ seconds: S, _ nanoseconds: N) -> String {
        let digits = String(nanoseconds)
        return "\(seconds)." + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }
}
