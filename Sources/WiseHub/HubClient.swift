import Foundation
import WiseAPI
import WiseCore
import WiseHTTP

/// Downloads a model repository's files from a Hugging Face-compatible hub into wise's cache,
/// resumably and checked.
///
/// Files come from `{baseURL}/{repo}/resolve/{revision}/{file}` and land in
/// `{cacheRoot}/models/{owner}--{name}/{revision}/`. Each is fetched in `Range` chunks into
/// `{file}.part`, so a cut transfer resumes where it stopped. A file the hub stores in LFS
/// carries its SHA-256 in `X-Linked-Etag` (or `ETag`); the download must match it. Otherwise
/// the SHA-256 is recorded at first download in `wise-manifest.json` beside the files, and
/// later fetches and `verify` check against it. A file that fails its check is deleted, so
/// nothing unverified is left behind.
public struct HubClient: Sendable {
    /// The files a CLIP model folder needs.
    public static let clipFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"]
    /// The public hub.
    public static let defaultBaseURL = "https://huggingface.co"
    /// The manifest's file name inside a model folder.
    public static let manifestName = "wise-manifest.json"

    /// The one API client: retries, redirects (the token never follows to another host), caps, redaction.
    let client: APIClient
    public let baseURL: String
    public let cacheRoot: URL
    /// Sent as `Authorization: Bearer …` for gated repositories; never logged or stored.
    public let token: String?
    /// Bytes asked for per request; each response is held in memory once.
    public let chunkSize: Int
    /// Further tries of a chunk after a timeout or a broken connection.
    public let retries: Int
    /// Seconds allowed per request.
    public let timeout: Double

    public init(
        transport: HTTPTransport, baseURL: String = HubClient.defaultBaseURL,
        cacheRoot: URL = CatalogueLocation.cacheRoot(), token: String? = nil,
        chunkSize: Int = 64 << 20, retries: Int = 3, timeout: Double = 600
    ) {
        var api = APIClientConfiguration(service: Self.service, apiKey: token)
        // Chunks are retried by the client on timeouts, dropped connections, 429 and 5xx.
        api.retry = RetryPolicy(maxAttempts: max(0, retries) + 1, baseDelay: 0.4, maxDelay: 10)
        api.timeout = timeout
        api.maxReplyBytes = max(1, chunkSize) + (64 << 10)
        client = APIClient(transport: transport, configuration: api)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.cacheRoot = cacheRoot
        self.token = token
        self.chunkSize = max(1, chunkSize)
        self.retries = max(0, retries)
        self.timeout = timeout
    }

    /// The service as failure messages name it.
    public static let service = APIService(name: "the hub", urlOption: "--base-url", keyOption: "--token-env", modelOption: nil)

    /// Where `repo` at `revision` is cached.
    public func directory(repo: String, revision: String = "main") -> URL {
        cacheRoot.appendingPathComponent("models")
            .appendingPathComponent(repo.replacingOccurrences(of: "/", with: "--"))
            .appendingPathComponent(revision.replacingOccurrences(of: "/", with: "--"))
    }

    /// What one fetch did with each file.
    public enum FileOutcome: Sendable, Equatable {
        /// Already in the cache and matching the manifest.
        case cached
        /// Downloaded (or completed from a `.part`) and checked.
        case downloaded(bytes: Int)
    }

    /// Ensures every file of `repo` at `revision` is in the cache and checked; returns the folder.
    ///
    /// `progress` is told of each chunk (file name, bytes so far, total if known).
    @discardableResult
    public func fetch(
        repo: String, revision: String = "main", files: [String] = HubClient.clipFiles,
        progress: (@Sendable (String, Int, Int?) -> Void)? = nil
    ) async throws -> (directory: URL, outcomes: [String: FileOutcome]) {
        try Self.validate(repo: repo, revision: revision, files: files)
        let folder = directory(repo: repo, revision: revision)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError(.cannotWrite, "cannot create the model cache \(folder.path): \(error.localizedDescription)")
        }
        var manifest = HubManifest.load(from: folder)
        var outcomes: [String: FileOutcome] = [:]
        for file in files {
            let target = folder.appendingPathComponent(file)
            if let entry = manifest.files[file], FileManager.default.fileExists(atPath: target.path),
                (try? Self.sha256(of: target)) == entry.sha256
            {
                outcomes[file] = .cached
                continue
            }
            let entry = try await download(repo: repo, revision: revision, file: file, to: target, progress: progress)
            manifest.files[file] = entry
            try manifest.save(to: folder)
            outcomes[file] = .downloaded(bytes: entry.size)
        }
        return (folder, outcomes)
    }

    /// Checks every file the manifest lists against its recorded SHA-256; throws on the first
    /// file that is missing or differs.
    public func verify(repo: String, revision: String = "main") throws {
        let folder = directory(repo: repo, revision: revision)
        let manifest = HubManifest.load(from: folder)
        guard !manifest.files.isEmpty else {
            throw HubError(.notFound, "\(folder.path) has no \(Self.manifestName); run `wise models fetch \(repo)` first")
        }
        for (file, entry) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let path = folder.appendingPathComponent(file)
            guard let digest = try? Self.sha256(of: path) else {
                throw HubError(.notFound, "\(path.path) is missing; run `wise models fetch \(repo)` again")
            }
            guard digest == entry.sha256 else {
                throw HubError(.checksumMismatch, "\(path.path) has SHA-256 \(digest), but \(entry.sha256) was recorded when it was downloaded; delete it and fetch again")
            }
        }
    }

    // MARK: Downloading

    func url(repo: String, revision: String, file: String) -> String {
        let encodedRevision = revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? revision
        let encodedFile = file.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }.joined(separator: "/")
        return "\(baseURL)/\(repo)/resolve/\(encodedRevision)/\(encodedFile)"
    }

    func headers(range: ClosedRange<Int>? = nil) -> HTTPHeaders {
        var headers = client.headers(json: false)
        if let range { headers.set("Range", "bytes=\(range.lowerBound)-\(range.upperBound)") }
        return headers
    }

    /// What the hub says about a file before its bytes are fetched.
    struct Metadata {
        var size: Int?
        var sha256: String?
        var commit: String?
    }

    func metadata(url: String, file: String, repo: String, revision: String) async throws -> Metadata {
        // Not following the redirect: for LFS files the hub's own reply carries the checksum.
        let request = HTTPRequest(method: .head, url: url, headers: headers(), timeout: timeout, followRedirects: false)
        let response = try await send(request, file: file)
        try check(response, file: file, repo: repo, revision: revision, allowRedirect: true)
        let etag = response.header("X-Linked-Etag") ?? response.header("ETag")
        let size = (response.header("X-Linked-Size") ?? (response.isSuccess ? response.header("Content-Length") : nil)).flatMap { Int($0) }
        return Metadata(size: size, sha256: etag.flatMap(Self.sha256FromETag), commit: response.header("X-Repo-Commit"))
    }

    func download(
        repo: String, revision: String, file: String, to target: URL, progress: (@Sendable (String, Int, Int?) -> Void)?
    ) async throws -> HubManifest.Entry {
        let url = url(repo: repo, revision: revision, file: file)
        let meta = try await metadata(url: url, file: file, repo: repo, revision: revision)
        let part = URL(fileURLWithPath: target.path + ".part")
        if !FileManager.default.fileExists(atPath: part.path) {
            guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
                throw HubError(.cannotWrite, "cannot create \(part.path)")
            }
        }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: part) } catch {
            throw HubError(.cannotWrite, "cannot write \(part.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var offset = Int((try? handle.seekToEnd()) ?? 0)
        var total = meta.size
        if let total, offset > total {
            // Longer than the file now is: start again rather than keep stale bytes.
            try handle.truncate(atOffset: 0)
            offset = 0
        }
        while total == nil || offset < total! {
            let range = offset...(offset + chunkSize - 1)
            var request = HTTPRequest(method: .get, url: url, headers: headers(range: range), timeout: timeout, maxResponseBytes: chunkSize + (64 << 10))
            request.followRedirects = true
            let response = try await send(request, file: file)
            if response.status == 416 {
                // Nothing left past `offset`: the part is complete (or the hub's size is unknown).
                break
            }
            try check(response, file: file, repo: repo, revision: revision, allowRedirect: false)
            if response.status == 200 {
                // The server ignored the range and sent the whole file.
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: response.body)
                offset = response.body.count
                total = offset
            } else {
                try handle.write(contentsOf: response.body)
                offset += response.body.count
                if let whole = response.header("Content-Range")?.split(separator: "/").last.flatMap({ Int($0) }) {
                    total = whole
                }
                if response.body.count < range.count && total == nil { total = offset }
                if response.body.isEmpty { break }
            }
            progress?(file, offset, total)
        }
        try handle.synchronize()
        let digest = try Self.sha256(of: part)
        if let expected = meta.sha256, expected != digest {
            try? FileManager.default.removeItem(at: part)
            throw HubError(.checksumMismatch, "\(file) from \(repo)@\(revision) has SHA-256 \(digest), but the hub states \(expected); the download was deleted, try again")
        }
        if let size = meta.size, size != offset {
            try? FileManager.default.removeItem(at: part)
            throw HubError(.checksumMismatch, "\(file) from \(repo)@\(revision) is \(offset) bytes, but the hub states \(size); the download was deleted, try again")
        }
        do {
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: part, to: target)
        } catch {
            throw HubError(.cannotWrite, "cannot move \(part.path) into place: \(error.localizedDescription)")
        }
        return HubManifest.Entry(sha256: digest, size: offset, checkedAgainstHub: meta.sha256 != nil, commit: meta.commit)
    }

    /// Sends through the API client (which retries what retrying can fix); a failure after that is `.unavailable`.
    func send(_ request: HTTPRequest, file: String) async throws -> HTTPResponse {
        do {
            return try await client.send(request) { $0 }
        } catch let failure as APIFailure {
            throw HubError(.unavailable, "fetching \(file) failed: \(failure.stop?.message ?? failure.reason); run the fetch again to resume")
        }
    }

    func check(_ response: HTTPResponse, file: String, repo: String, revision: String, allowRedirect: Bool) throws {
        if response.isSuccess || (allowRedirect && (300..<400).contains(response.status)) { return }
        switch response.status {
        case 404:
            throw HubError(.notFound, "\(file) not found in \(repo) at revision \(revision) (HTTP 404 from \(HTTPError.redact(baseURL))); check the repository id, the revision and the file name")
        case 401, 403:
            throw HubError(.unauthorized, "\(repo) refused access to \(file) (HTTP \(response.status)); the repository may be gated or private: accept its terms on the hub and pass a token")
        default:
            throw HubError(.unavailable, "fetching \(file) from \(repo) at \(revision) failed with HTTP \(response.status)")
        }
    }

    // MARK: Checksums

    /// The SHA-256 an ETag names, when it is one (64 hex digits); git blob ids (40) are not.
    static func sha256FromETag(_ etag: String) -> String? {
        var value = Substring(etag.trimmingCharacters(in: .whitespaces))
        if value.hasPrefix("W/") { value = value.dropFirst(2) }
        value = value.drop { $0 == "\"" }
        while value.last == "\"" { value = value.dropLast() }
        let hex = value.lowercased()
        return hex.count == 64 && hex.allSatisfy(\.isHexDigit) ? hex : nil
    }

    /// The SHA-256 of a file, read in 4 MiB pieces.
    static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty {
            hasher.update(data)
        }
        return SHA256.hexString(hasher.finalize())
    }

    static func validate(repo: String, revision: String, files: [String]) throws {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.unicodeScalars.allSatisfy(safe.contains) }) else {
            throw UsageError("\"\(repo)\" is not a repository id like openai/clip-vit-large-patch14")
        }
        guard !revision.isEmpty, !revision.contains(".."), revision.unicodeScalars.allSatisfy({ safe.contains($0) || $0 == "/" }) else {
            throw UsageError("\"\(revision)\" is not a revision (a branch, tag or commit)")
        }
        for file in files where file.isEmpty || file.hasPrefix("/") || file.split(separator: "/").contains("..") {
            throw UsageError("\"\(file)\" is not a file path inside a repository")
        }
    }
}

/// `wise-manifest.json`: the SHA-256 and size of each file as first downloaded.
struct HubManifest: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var sha256: String
        var size: Int
        /// Whether the hub stated this SHA-256 (LFS) rather than it being recorded here.
        var checkedAgainstHub: Bool
        /// The commit the hub resolved the revision to, when it said.
        var commit: String?
    }

    var files: [String: Entry] = [:]

    static func load(from folder: URL) -> HubManifest {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(HubClient.manifestName)),
            let manifest = try? JSONDecoder().decode(HubManifest.self, from: data)
        else { return HubManifest() }
        return manifest
    }

    func save(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        do {
            try encoder.encode(self).write(to: folder.appendingPathComponent(HubClient.manifestName), options: .atomic)
        } catch {
            throw HubError(.cannotWrite, "cannot write \(folder.appendingPathComponent(HubClient.manifestName).path): \(error.localizedDescription)")
        }
    }
}
