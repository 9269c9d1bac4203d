import Foundation

/// Decides where prompt sets are read from: `WISE_DATA`, else the fetch cache.
///
/// Environment: `WISE_DATA=DIR` reads a folder laid out like `../shared/wise` directly;
/// `WISE_CACHE=DIR` moves the cache (default `$XDG_CACHE_HOME/wise` or `~/.cache/wise`);
/// `WISE_MANIFEST=FILE` replaces the built-in manifest (for mirrors and tests).
public struct CatalogueLocation: Sendable {
    public var manifest: CatalogueManifest
    /// A directory the user named, read as it is.
    public var dataDirectory: URL?
    /// Where `wise catalogue fetch` stores verified files.
    public var cacheRoot: URL

    public init(manifest: CatalogueManifest, dataDirectory: URL?, cacheRoot: URL) {
        self.manifest = manifest
        self.dataDirectory = dataDirectory
        self.cacheRoot = cacheRoot
    }

    /// Resolves the location from the process environment.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> CatalogueLocation {
        let manifest = try env["WISE_MANIFEST"].map { try CatalogueManifest.load(from: URL(fileURLWithPath: $0)) } ?? .official
        var data: URL?
        if let dir = env["WISE_DATA"], !dir.isEmpty {
            guard PathKind(dir) == .directory else {
                throw FileError("WISE_DATA=\(dir) is not a directory; point it at a folder laid out like legacy/, verified/ or unset it", kind: .missingInput)
            }
            data = URL(fileURLWithPath: dir, isDirectory: true)
        }
        return CatalogueLocation(manifest: manifest, dataDirectory: data, cacheRoot: cacheRoot(env))
    }

    /// wise's cache folder: `WISE_CACHE`, else `$XDG_CACHE_HOME/wise`, else `~/.cache/wise`.
    public static func cacheRoot(_ env: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let c = env["WISE_CACHE"], !c.isEmpty {
            return URL(fileURLWithPath: c, isDirectory: true)
        } else if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("wise")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/wise")
    }

    /// The cache folder for the pinned commit (files sit below it as `legacy/…`, `verified/…`).
    public var cacheDirectory: URL {
        cacheRoot.appendingPathComponent("catalogue").appendingPathComponent(manifest.commit)
    }

    /// The directory a set is read from.
    public func directory(for set: PromptSet) throws -> URL {
        if let dataDirectory { return dataDirectory }
        let entry = try manifest.entry(for: set)
        let present = entry.files.allSatisfy {
            FileManager.default.fileExists(atPath: cacheDirectory.appendingPathComponent($0.path).path)
        }
        guard present else {
            throw FileError("prompt set \(set.rawValue) is not in the cache \(cacheDirectory.path); run `wise catalogue fetch` (or `wise catalogue fetch --from DIR`), or set WISE_DATA=DIR", kind: .missingInput)
        }
        return cacheDirectory
    }

    /// Loads, checks and extracts the official evaluator of a protocol, from `WISE_DATA` or the cache.
    public func officialEvaluator(for scoringProtocol: ScoringProtocol) throws -> OfficialEvaluator {
        let entry = try manifest.evaluator(for: scoringProtocol)
        let root = dataDirectory ?? cacheDirectory
        return try OfficialEvaluator.load(entry, from: root.appendingPathComponent(entry.path))
    }

    /// Reads, checks and parses the published board of a protocol, from `WISE_DATA` or the cache.
    public func publishedBoard(for scoringProtocol: ScoringProtocol) throws -> PublishedBoard {
        let entry = try manifest.board(for: scoringProtocol)
        let root = dataDirectory ?? cacheDirectory
        let places = DirectorySource(directory: root).candidates(for: entry)
        guard let url = places.first(where: { PathKind($0.path) == .file }) else {
            throw FileError("the published \(scoringProtocol.rawValue) board \(entry.path) is not in \(root.path); run `wise catalogue fetch` (or `wise catalogue fetch --from DIR`)", kind: .missingInput)
        }
        let data = try readCatalogueFile(url, label: entry.path)
        let actual = SHA256.hex(data)
        guard actual == entry.sha256 else {
            throw DataError("board \(url.path): SHA-256 is \(actual) but the manifest pins \(entry.sha256); fetch it again with `wise catalogue fetch`")
        }
        return try PublishedBoard.parse(data, label: entry.path)
    }

    /// How many prompts each category of the protocol's prompt set holds, from the manifest's id ranges.
    public func categoryCounts(for scoringProtocol: ScoringProtocol) throws -> [Category: Int] {
        let set: PromptSet = scoringProtocol == .verified ? .verified : .legacy
        var counts: [Category: Int] = [:]
        for range in try manifest.entry(for: set).ranges where range.last >= range.first {
            // A manifest is data: a range wider than any prompt set is left out rather than trapping.
            let (width, overflow) = range.last.subtractingReportingOverflow(range.first)
            guard !overflow, width < Catalogue.promptCount else { continue }
            counts[range.category, default: 0] += width + 1
        }
        return counts
    }

    /// Loads and validates one set.
    public func load(_ set: PromptSet) throws -> Catalogue {
        try Catalogue.load(set, from: directory(for: set), manifest: manifest)
    }
}
