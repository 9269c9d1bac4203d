import Foundation

/// Somewhere the catalogue files can be read from: the official repository over HTTPS, or a local folder.
public protocol CatalogueSource: Sendable {
    /// Says where the files come from, for messages ("https://…", "/data/wise").
    var label: String { get }
    /// The bytes of one file of the manifest.
    func bytes(of file: any PinnedFile) async throws -> Data
}

/// Reads catalogue files from a folder laid out like `../shared/wise`.
public struct DirectorySource: CatalogueSource {
    public let directory: URL
    public init(directory: URL) { self.directory = directory }
    public var label: String { directory.path }
    public func bytes(of file: any PinnedFile) async throws -> Data {
        try readCatalogueFile(directory.appendingPathComponent(file.path), label: file.path)
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
        var wanted: [CatalogueManifest.FileEntry] = []
        for set in sets {
            for file in try location.manifest.entry(for: set).files where !wanted.contains(file) { wanted.append(file) }
        }
        var outcomes: [Outcome] = []
        var evaluators: [CatalogueManifest.EvaluatorEntry] = []
        for set in sets {
            let scoringProtocol = try location.manifest.entry(for: set).scoringProtocol
            if let entry = try? location.manifest.evaluator(for: scoringProtocol), !evaluators.contains(entry) { evaluators.append(entry) }
        }
        var pinned: [any PinnedFile] = wanted
        pinned.append(contentsOf: evaluators)
        var toWrite: [(any PinnedFile, Data)] = []
        for file in pinned {
            let target = destination.appendingPathComponent(file.path)
            if let existing = try? Data(contentsOf: target), SHA256.hex(existing) == file.sha256 {
                outcomes.append(Outcome(path: file.path, sha256: file.sha256, alreadyPresent: true))
                continue
            }
            let data = try await source.bytes(of: file)
            let actual = SHA256.hex(data)
            guard actual == file.sha256 else {
                throw DataError("\(file.path) from \(source.label): SHA-256 is \(actual), expected \(file.sha256); nothing was written")
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
