import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the loopback server received it.
public struct ServerRequest: Sendable {
    /// The method as sent, such as `GET`.
    public let method: String
    /// The request target as sent: path plus any `?query`.
    public let target: String
    /// The target without its query, still percent-encoded.
    public let path: String
    /// The text after `?`, or nil when there was none.
    public let query: String?
    /// The header fields in the order received.
    public let headers: [(String, String)]
    public let body: Data
    /// Which accepted connection carried the request (1 for the first), so tests can see reuse.
    public let connectionID: Int

    /// The first value of header `name`, compared without regard to case.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The body decoded as UTF-8.
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// What the loopback server does with a request: answer it, or fail in a chosen way.
public enum ServerAction: Sendable {
    /// Waits `delay` seconds, then answers with a correct `Content-Length` and keeps the
    /// connection open (unless the client asked to close it).
    case respond(status: Int, headers: [(String, String)] = [], body: Data = Data(), delay: Double = 0)
    /// Closes the connection with SO_LINGER 0, so the client sees a TCP reset.
    case reset
    /// Closes the connection without answering.
    case close
    /// Declares `declaredLength` bytes, sends `body` (shorter), then closes.
    case truncate(status: Int, declaredLength: Int, body: Data)
    /// Writes `bytes` as they are (status line and headers included), then closes.
    case raw(Data)

    /// A UTF-8 text answer.
    public static func text(_ text: String, status: Int = 200) -> ServerAction {
        .respond(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(text.utf8))
    }

    /// A JSON answer from text that already is JSON.
    public static func json(_ json: String, status: Int = 200) -> ServerAction {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: Data(json.utf8))
    }

    /// A JSON answer encoding `value`; a value that cannot be encoded gives a 500.
    public static func json<Value: Encodable>(_ value: Value, status: Int = 200) -> ServerAction {
        guard let body = try? JSONEncoder().encode(value) else {
            return .text("could not encode the test reply as JSON", status: 500)
        }
        return .respond(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// An empty answer with `status`.
    public static func status(_ status: Int) -> ServerAction {
        .respond(status: status)
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 for tests: keep-alive, Content-Length bodies, and
/// injected faults (delays, resets, early closes, truncated bodies).
///
/// It binds an ephemeral port, so tests can run in parallel. Each connection gets its own
/// thread, and `handler` is called on those threads, many at once, so it must be thread-safe.
/// Chunked request bodies are refused with 501. Call `stop()` when done (deinit also stops it).
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) -> ServerAction

    /// Why the server could not start.
    public struct SetupError: Error, CustomStringConvertible {
        public let step: String
        public let code: Int32
        public var description: String {
            "loopback HTTP server: \(step) failed: \(String(cString: strerror(code)))"
        }
    }

    /// The port it listens on.
    public let port: Int
    private let core: Core

    /// Starts listening on 127.0.0.1 at a free port and serving with `handler`.
    public init(handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw SetupError(step: "socket", code: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SetupError(step: "bind", code: code)
        }
        guard listen(fd, 1024) == 0 else {
            let code = errno
            close(fd)
            throw SetupError(step: "listen", code: code)
        }
        guard let port = Self.boundPort(fd) else {
            let code = errno
            close(fd)
            throw SetupError(step: "getsockname", code: code)
        }
        self.port = port
        core = Core(listenFD: fd, handler: handler)
        core.start()
    }

    deinit {
        core.stop()
    }

    /// `http://127.0.0.1:PORT`, with no trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// How many requests have been read (each counted before its handler runs).
    public var requestCount: Int { core.requests.load(ordering: .relaxed) }

    /// How many connections have been accepted.
    public var connectionCount: Int { core.connections.load(ordering: .relaxed) }

    /// Stops accepting, closes the listening socket and shuts down open connections.
    /// Handlers still running (a delayed reply, say) finish on their own threads; their
    /// writes then fail quietly. Safe to call more than once.
    public func stop() {
        core.stop()
    }

    /// A handler that serves the files under `root`: GET or HEAD `/a/b.json` reads
    /// `root/a/b.json`; a missing file (or a path with `..`) gets 404.
    public static func files(root: URL) -> Handler {
        let rootPath = root.standardizedFileURL.path
        return { request in
            guard request.method == "GET" || request.method == "HEAD" else { return .status(405) }
            let decoded = request.path.removingPercentEncoding ?? request.path
            let parts = decoded.split(separator: "/").map(String.init)
            guard !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else { return .status(404) }
            let file = URL(fileURLWithPath: rootPath).appendingPathComponent(parts.joined(separator: "/"))
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory),
                !isDirectory.boolValue, let data = try? Data(contentsOf: file)
            else { return .status(404) }
            return .respond(status: 200, headers: [("Content-Type", contentType(for: file))], body: data)
        }
    }

    private static func contentType(for file: URL) -> String {
        switch file.pathExtension.lowercased() {
        case "json": return "application/json"
        case "txt", "md", "csv": return "text/plain; charset=utf-8"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        default: return "application/octet-stream"
        }
    }

    /// A port on 127.0.0.1 where nothing listens, so connecting is refused.
    ///
    /// The port stays bound (but not listening) until `close()` or deinit, so no other test
    /// can start listening on it meanwhile.
    public final class RefusingPort: Sendable {
        public let port: Int
        private let fd: Mutex<Int32>

        public init() throws {
            let fd = socket(AF_INET, LoopbackHTTPServer.streamType, 0)
            guard fd >= 0 else { throw SetupError(step: "socket", code: errno) }
            var address = LoopbackHTTPServer.loopbackAddress(port: 0)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0, let port = LoopbackHTTPServer.boundPort(fd) else {
                let code = errno
                closeDescriptor(fd)
                throw SetupError(step: "bind", code: code)
            }
            self.port = port
            self.fd = Mutex(fd)
        }

        /// `http://127.0.0.1:PORT`.
        public var baseURL: String { "http://127.0.0.1:\(port)" }

        /// Releases the port.
        public func close() {
            fd.withLock { fd in
                if fd >= 0 { closeDescriptor(fd) }
                fd = -1
            }
        }

        deinit { close() }
    }

    // MARK: Socket helpers

    /// A TCP socket type that is not inherited by subprocesses the tests start.
    #if canImport(Glibc)
    fileprivate static let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    #else
    fileprivate static let streamType = SOCK_STREAM
    #endif

    fileprivate static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    fileprivate static func boundPort(_ fd: Int32) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}

/// Closes a descriptor; a free function so types with their own `close()` can reach it.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

/// The server's shared state: the listening socket, counters, and the open connections.
///
/// Only a connection's own thread closes its socket, after removing it from `openFDs`
/// under the lock, so `stop` can never shut down a descriptor number that was reused.
private final class Core: Sendable {
    let listenFD: Int32
    let handler: LoopbackHTTPServer.Handler
    let requests = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    let openFDs = Mutex<Set<Int32>>([])
    let acceptDone = DispatchGroup()

    /// Connection threads need little stack; the default 8 MiB adds up at 200+ connections.
    static let threadStack = 512 * 1024
    /// A request head larger than this is refused (431) rather than buffered without end.
    static let maxHeadBytes = 1 << 20

    init(listenFD: Int32, handler: @escaping LoopbackHTTPServer.Handler) {
        self.listenFD = listenFD
        self.handler = handler
    }

    func start() {
        acceptDone.enter()
        let thread = Thread { [self] in
            acceptLoop()
            acceptDone.leave()
        }
        thread.name = "loopback-accept"
        thread.start()
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        acceptDone.wait()
        close(listenFD)
        openFDs.withLock { fds in
            for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            // poll with a timeout, so the loop also ends where shutdown() does not wake accept().
            var waiting = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, 200)
            if ready <= 0 || stopped.load(ordering: .acquiring) { continue }
            // (accept4 with SOCK_CLOEXEC would close the window before fcntl, but Glibc's
            // Swift module does not export it.)
            let fd = accept(listenFD, nil, nil)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let connectionID = connections.add(1, ordering: .relaxed).newValue
            openFDs.withLock { _ = $0.insert(fd) }
            let thread = Thread { [self] in
                serve(fd, connectionID: connectionID)
            }
            thread.stackSize = Self.threadStack
            thread.name = "loopback-conn"
            thread.start()
        }
    }

    private enum Ending {
        case close, reset
    }

    private func serve(_ fd: Int32, connectionID: Int) {
        var ending = Ending.close
        defer {
            openFDs.withLock { _ = $0.remove(fd) }
            if ending == .reset {
                var abortive = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<linger>.size))
            }
            close(fd)
        }
        var reader = Reader(fd: fd)
        while true {
            let head: [UInt8]
            switch reader.readHead(limit: Self.maxHeadBytes) {
            case .head(let bytes): head = bytes
            case .end: return
            case .tooLarge:
                _ = write(fd, status: 431, headers: [], body: Data(), keepAlive: false, omitBody: false)
                return
            case .garbage:
                // Not HTTP text (a TLS ClientHello, say): answer in plain HTTP and hang up, as
                // real servers do, so such a client fails at once instead of waiting.
                _ = write(fd, status: 400, headers: [], body: Data("not an HTTP request\n".utf8), keepAlive: false, omitBody: false)
                return
            }
            guard let parsed = Head(head) else {
                _ = write(fd, status: 400, headers: [], body: Data("bad request\n".utf8), keepAlive: false, omitBody: false)
                return
            }
            if let encoding = parsed.header("Transfer-Encoding"), encoding.lowercased() != "identity" {
                _ = write(fd, status: 501, headers: [], body: Data("chunked request bodies are not supported\n".utf8),
                          keepAlive: false, omitBody: false)
                return
            }
            let length = Int(parsed.header("Content-Length")?.trimmingCharacters(in: .whitespaces) ?? "0") ?? -1
            guard length >= 0 else {
                _ = write(fd, status: 400, headers: [], body: Data("bad Content-Length\n".utf8), keepAlive: false, omitBody: false)
                return
            }
            if parsed.header("Expect")?.lowercased() == "100-continue", reader.buffered < length {
                guard sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            }
            guard let body = reader.readBody(count: length) else { return }
            requests.add(1, ordering: .relaxed)

            let connectionHeader = parsed.header("Connection")?.lowercased() ?? ""
            let keepAlive =
                parsed.version == "HTTP/1.1" ? !connectionHeader.contains("close") : connectionHeader.contains("keep-alive")
            let request = ServerRequest(
                method: parsed.method, target: parsed.target, path: parsed.path, query: parsed.query,
                headers: parsed.headers, body: body, connectionID: connectionID)

            switch handler(request) {
            case .respond(let status, let headers, let body, let delay):
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                let sent = write(fd, status: status, headers: headers, body: body, keepAlive: keepAlive,
                                 omitBody: parsed.method == "HEAD")
                if !sent || !keepAlive { return }
            case .reset:
                ending = .reset
                return
            case .close:
                return
            case .truncate(let status, let declaredLength, let body):
                var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(declaredLength)\r\n"
                text += "Connection: close\r\n\r\n"
                _ = sendAll(fd, Array(text.utf8) + body)
                return
            case .raw(let bytes):
                _ = sendAll(fd, Array(bytes))
                return
            }
        }
    }

    private func write(
        _ fd: Int32, status: Int, headers: [(String, String)], body: Data, keepAlive: Bool, omitBody: Bool
    ) -> Bool {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "content-length" || lower == "connection" { continue }
            text += "\(name): \(value)\r\n"
        }
        text += "Content-Length: \(body.count)\r\n"
        if !keepAlive { text += "Connection: close\r\n" }
        text += "\r\n"
        var bytes = Array(text.utf8)
        if !omitBody { bytes.append(contentsOf: body) }
        return sendAll(fd, bytes)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }
}

/// Buffered reads from one connection: a request head up to its blank line, then a body.
private struct Reader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(64 * 1024)
    }

    /// Bytes already read but not yet handed out.
    var buffered: Int { buffer.count - start }

    enum HeadResult {
        /// The head, without its final CRLFCRLF.
        case head([UInt8])
        /// The stream ended (or failed) before a complete head.
        case end
        case tooLarge
        /// Control bytes where a request line and headers should be.
        case garbage
    }

    /// Reads up to and including the blank line that ends the next request head.
    mutating func readHead(limit: Int) -> HeadResult {
        while true {
            switch findBlankLine() {
            case .found(let end):
                let head = Array(buffer[start..<end])
                start = end + 4
                scanned = start
                return .head(head)
            case .garbage:
                return .garbage
            case .notYet:
                break
            }
            if buffered > limit { return .tooLarge }
            guard fill() else { return .end }
        }
    }

    /// Exactly `count` body bytes, or nil if the stream ends first.
    mutating func readBody(count: Int) -> Data? {
        while buffered < count {
            guard fill() else { return nil }
        }
        let body = Data(buffer[start..<(start + count)])
        start += count
        scanned = start
        compact()
        return body
    }

    private enum Scan {
        case found(Int), notYet, garbage
    }

    private mutating func findBlankLine() -> Scan {
        var index = max(start, scanned - 3)
        while index < buffer.count {
            let byte = buffer[index]
            if byte < 0x20 && byte != 13 && byte != 10 && byte != 9 || byte == 0x7F { return .garbage }
            if byte == 13, index + 3 < buffer.count, buffer[index + 1] == 10, buffer[index + 2] == 13,
                buffer[index + 3] == 10
            {
                return .found(index)
            }
            index += 1
        }
        scanned = buffer.count
        return .notYet
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        } else if start > 64 * 1024 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
    }

    private mutating func fill() -> Bool {
        compact()
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }
}

/// A parsed request line and header block.
private struct Head {
    let method: String
    let target: String
    let path: String
    let query: String?
    let version: String
    let headers: [(String, String)]

    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        method = String(requestLine[0])
        target = String(requestLine[1])
        version = String(requestLine[2])
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = target
            query = nil
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append((
                String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            ))
        }
        self.headers = headers
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}
