import Foundation

/// Somewhere the catalogue files can be read from: the official repository over HTTPS, or a local folder.
public protocol CatalogueSource: Sendable {
    /// Says where the files come from, for messages ("https://…", "/data/wise").
    var label: String { get }
    /// The bytes of one file of the manifest.
    func bytes(of file: any PinnedFile) async throws -> Data
    /// Which of `files` the source does not hold, each with where it was looked for; empty when
    /// the source cannot tell before it is asked (a server).
    func missing(_ files: [any PinnedFile]) -> [String]
}

extension CatalogueSource {
    public func missing(_ files: [any PinnedFile]) -> [String] { [] }
}

/// Reads catalogue files from a folder laid out like `../shared/wise` (legacy/, verified/, official/)
/// or like a checkout of the official repository (WISE_legacy/data/, data_verified/, vllm_eval.py, …).
///
/// Each file is looked for at its catalogue path first, then at its repository path, so either
/// layout works, and so does a folder that mixes them.
public struct DirectorySource: CatalogueSource {
    public let directory: URL
    public init(directory: URL) { self.directory = directory }
    public var label: String { directory.path }

    /// The places a file may be, in the order they are tried.
    public func candidates(for file: any PinnedFile) -> [URL] {
        let paths = file.path == file.source ? [file.path] : [file.path, file.source]
        return paths.map { directory.appendingPathComponent($0) }
    }

    public func bytes(of file: any PinnedFile) async throws -> Data {
        let places = candidates(for: file)
        let found = places.first { PathKind($0.path) != .missing } ?? places[0]
        return try readCatalogueFile(found, label: file.path)
    }

    public func missing(_ files: [any PinnedFile]) -> [String] {
        files.compactMap { file in
            let places = candidates(for: file)
            guard places.allSatisfy({ PathKind($0.path) == .missing }) else { return nil }
            return "\(file.source) (looked for \(places.map(\.path).joined(separator: " and ")))"
        }
    }
}

/// Copies verified catalogue files into the cache: all of them or none.
///
/// Every file is read and checked against its SHA-256 before anything is written, then each is
/// written to a temporary file and renamed into place, so the cache never holds a partial or
/// mismatched file.
public struct CatalogueInstaller: Sendable {
    public let location: CatalogueLocation
    public init(location: CatalogueLocation) { self.location = location }

    /// What became of one file.
    public struct Outcome: Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var alreadyPresent: Bool
    }

    /// Fetches the files of some sets from a source, verifies them and installs them in the cache.
    public func install(_ sets: [PromptSet], from source: CatalogueSource) async throws -> [Outcome] {
        let destination = location.cacheDirectory
        let pinned = try location.manifest.pinnedFiles(for: sets)
        let evaluators = pinned.compactMap { $0 as? CatalogueManifest.EvaluatorEntry }
        let boards = pinned.compactMap { $0 as? CatalogueManifest.BoardEntry }
        var outcomes: [Outcome] = []
        let cached = pinned.filter { file in
            (try? Data(contentsOf: destination.appendingPathComponent(file.path))).map { SHA256.hex($0) == file.sha256 } ?? false
        }
        let needed = pinned.filter { file in !cached.contains { $0.path == file.path } }
        // A folder missing files says all of them at once, not the first one found.
        let absent = source.missing(needed)
        if !absent.isEmpty {
            throw FileError("\(source.label) lacks \(absent.count) of the \(pinned.count) files the manifest pins at commit \(location.manifest.commit.prefix(7)): "
                            + absent.joined(separator: "; ")
                            + "; pass a checkout of \(location.manifest.repository) at that commit or a folder laid out like ../shared/wise (legacy/, verified/, official/); nothing was written",
                            kind: .missingInput)
        }
        var toWrite: [(any PinnedFile, Data)] = []
        for file in pinned {
            if cached.contains(where: { $0.path == file.path }) {
                outcomes.append(Outcome(path: file.path, sha256: file.sha256, alreadyPresent: true))
                continue
            }
            let data = try await source.bytes(of: file)
            let actual = SHA256.hex(data)
            guard actual == file.sha256 else {
                // A folder is often a checkout: say which commit its files must come from.
                let commit = source is DirectorySource ? " (the file at commit \(location.manifest.commit.prefix(7)))" : ""
                throw DataError("\(file.path) from \(source.label): SHA-256 is \(actual), expected \(file.sha256)\(commit); nothing was written")
            }
            toWrite.append((file, data))
            outcomes.append(Outcome(path: file.path, sha256: actual, alreadyPresent: false))
        }
        // Validate the content as a whole set before it reaches the cache.
        for set in sets {
            let entry = try location.manifest.entry(for: set)
            let files = try entry.files.map { file -> (CatalogueManifest.FileEntry, Data) in
                if let fresh = toWrite.first(where: { $0.0.path == file.path }) { return (file, fresh.1) }
                return (file, try Data(contentsOf: destination.appendingPathComponent(file.path)))
            }
            _ = try Catalogue.parse(set, entry: entry, files: files)
        }
        // An evaluator must also yield the pinned system text, template and settings.
        for entry in evaluators {
            if let fresh = toWrite.first(where: { $0.0.path == entry.path }) {
                _ = try OfficialEvaluator.verify(fresh.1, entry: entry, label: "\(entry.path) from \(source.label)")
            }
        }
        // A board must yield rows.
        for entry in boards {
            if let fresh = toWrite.first(where: { $0.0.path == entry.path }) {
                _ = try PublishedBoard.parse(fresh.1, label: "\(entry.path) from \(source.label)")
            }
        }
        for (file, data) in toWrite {
            try writeAtomically(data, to: destination.appendingPathComponent(file.path))
        }
        return outcomes
    }
}

/// Writes a file through a temporary sibling and a rename, so readers see all of it or none.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temp = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
        try data.write(to: temp)
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw FileError("cannot write \(url.path): \(reason)", kind: .cannotCreate)
        }
    } catch let error as FileError {
        throw error
    } catch {
        throw FileError("cannot write \(url.path): \(error.localizedDescription)", kind: .cannotCreate)
    }
}
