import Foundation
import Synchronization
import WiseCore

/// A loopback hub: `/{repo}/resolve/{rev}/{file}` answers HEAD like the Hugging Face hub
/// (a redirect with X-Linked-Etag for the LFS file, ETag + length for the others) and GET with
/// byte ranges, from a CDN path for the LFS file. Faults are injected per test.
public final class FakeHub: Sendable {
    let files: [String: Data]
    /// The repo id it serves, `owner/name`.
    let repo: String
    let lfs: Set<String>
    /// The SHA-256 announced for LFS files; nil announces the true one.
    let announcedSHA: String?
    /// Which GET (1-based, counted over all files) is cut off mid-body.
    let cutRequest: Int?
    /// Each GET: the file name and its Range header.
    public let gets = Mutex<[String]>([])
    public let server: LoopbackHTTPServer

    public init(files: [String: Data], repo: String = "acme/tiny-clip", lfs: Set<String> = ["model.safetensors"],
                announcedSHA: String? = nil, cutRequest: Int? = nil) throws {
        self.files = files
        self.repo = repo
        self.lfs = lfs
        self.announcedSHA = announcedSHA
        self.cutRequest = cutRequest
        let box = Mutex<FakeHub?>(nil)
        server = try LoopbackHTTPServer { request in
            box.withLock { $0 }?.handle(request) ?? .status(503)
        }
        box.withLock { $0 = self }
    }

    func handle(_ request: ServerRequest) -> ServerAction {
        let parts = request.path.split(separator: "/").map(String.init)
        // /cdn/{file} or /{owner}/{name}/resolve/{rev}/{file}
        if parts.first == "cdn", parts.count == 2, let data = files[parts[1]] {
            return serve(request, name: parts[1], data: data)
        }
        guard parts.count == 5, "\(parts[0])/\(parts[1])" == repo, parts[2] == "resolve", parts[3] == "main",
            let data = files[parts[4]]
        else { return .text("Entry not found", status: 404) }
        let name = parts[4]
        let sha = SHA256.hex(data)
        if request.method == "HEAD" {
            if lfs.contains(name) {
                return .respond(status: 302, headers: [
                    ("Location", "/cdn/\(name)"), ("X-Linked-Etag", "\"\(announcedSHA ?? sha)\""),
                    ("X-Linked-Size", "\(data.count)"), ("X-Repo-Commit", "0123abcd"),
                ])
            }
            // A git blob id, not a SHA-256, and the length of a body HEAD does not send.
            let head = "HTTP/1.1 200 OK\r\nContent-Length: \(data.count)\r\nETag: \"\(sha.prefix(40))\"\r\nX-Repo-Commit: 0123abcd\r\nConnection: close\r\n\r\n"
            return .raw(Data(head.utf8))
        }
        if lfs.contains(name) { return .respond(status: 302, headers: [("Location", "/cdn/\(name)")]) }
        return serve(request, name: name, data: data)
    }

    func serve(_ request: ServerRequest, name: String, data: Data) -> ServerAction {
        let count = gets.withLock { list -> Int in
            list.append("\(name) \(request.header("Range") ?? "-")")
            return list.count
        }
        // Cut mid-body (a reset before any byte would be retried by libcurl on its own).
        if count == cutRequest { return .truncate(status: 206, declaredLength: 1000, body: data.prefix(10)) }
        guard let range = request.header("Range"), range.hasPrefix("bytes=") else {
            return .respond(status: 200, body: data)
        }
        let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard let start = bounds.first ?? nil, start < data.count else {
            return .respond(status: 416, headers: [("Content-Range", "bytes */\(data.count)")])
        }
        let end = min((bounds.count > 1 ? bounds[1] : nil) ?? data.count - 1, data.count - 1)
        return .respond(status: 206, headers: [("Content-Range", "bytes \(start)-\(end)/\(data.count)")], body: data.subdata(in: start..<(end + 1)))
    }
}
