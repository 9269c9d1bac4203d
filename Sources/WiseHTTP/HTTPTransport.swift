import Dispatch
import Foundation
import Synchronization

/// Sends HTTP requests concurrently over one libcurl multi handle, reusing connections.
///
/// One dedicated thread (not a Swift concurrency thread) drives every transfer, so a
/// thousand requests in flight cost one thread and a few sockets, and blocking in libcurl
/// never starves the cooperative pool. Safe to share: `send` may be called from any task.
/// Connections are kept alive and reused per host; HTTPS prefers HTTP/2 and multiplexes.
/// Call `shutdown()` (or drop the last reference) to stop the thread.
public final class HTTPTransport: Sendable {
    /// How the transport connects, what it accepts, and how it identifies itself.
    public struct Options: Sendable {
        /// The most connections open to one host at once; 0 means no limit. A small cap
        /// throttles HTTP/1.1 throughput, since each connection carries one request at a time.
        public var maxConnectionsPerHost: Int
        /// The most connections open at once over all hosts; 0 means no limit.
        public var maxTotalConnections: Int
        /// How many idle connections are kept open for reuse.
        public var maxIdleConnections: Int
        /// The largest response body accepted; larger responses are stopped and fail with
        /// `HTTPError.responseTooLarge`. A request may set its own limit.
        public var maxResponseBytes: Int
        /// Whether to verify the server's certificate and host name. Turn off only for tests.
        public var verifyTLS: Bool
        /// The `User-Agent` sent unless a request sets its own; empty sends none.
        public var userAgent: String
        /// Whether to offer HTTP/2 over TLS and multiplex requests on one connection.
        public var http2: Bool
        /// Whether to send TCP keep-alive probes on idle connections.
        public var tcpKeepAlive: Bool
        /// A PEM file of certificate authorities to trust instead of the system's (`--ca-cert`).
        public var caFile: String? = nil

        public init(
            maxConnectionsPerHost: Int = 0,
            maxTotalConnections: Int = 0,
            maxIdleConnections: Int = 256,
            maxResponseBytes: Int = 64 << 20,
            verifyTLS: Bool = true,
            userAgent: String = "wise",
            http2: Bool = true,
            tcpKeepAlive: Bool = true
        ) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.maxIdleConnections = maxIdleConnections
            self.maxResponseBytes = maxResponseBytes
            self.verifyTLS = verifyTLS
            self.userAgent = userAgent
            self.http2 = http2
            self.tcpKeepAlive = tcpKeepAlive
        }
    }

    public let options: Options
    private let loop: TransportLoop

    /// Starts the transport's thread.
    public init(options: Options = .init()) {
        self.options = options
        loop = TransportLoop(options: options)
        loop.start()
    }

    deinit {
        loop.stop()
    }

    /// Sends `request` and returns its response, whatever the status.
    ///
    /// Throws `HTTPError` when no response arrives (bad URL, timeout, connection or TLS
    /// failure, body over the limit, transport shut down), and `CancellationError` when the
    /// task is cancelled, in which case the transfer is abandoned at once.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Self.validate(request)
        let transfer = Transfer(request: request, limit: request.maxResponseBytes ?? options.maxResponseBytes)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                transfer.completion = { continuation.resume(with: $0) }
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Sends `request` and blocks the calling thread until it finishes.
    ///
    /// For plain command-line code outside Swift concurrency; in async code use `send`,
    /// which does not hold a thread while waiting.
    public func sendAndWait(_ request: HTTPRequest) throws -> HTTPResponse {
        try Self.validate(request)
        let transfer = Transfer(request: request, limit: request.maxResponseBytes ?? options.maxResponseBytes)
        let outcome = Mutex<Result<HTTPResponse, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        transfer.completion = { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        loop.submit(transfer)
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Fetches `url` with GET, blocking the calling thread; see `sendAndWait`.
    public func get(_ url: String, timeout: Double = 60) throws -> HTTPResponse {
        try sendAndWait(.get(url, timeout: timeout))
    }

    /// Stops the thread and closes every connection; requests in flight fail with
    /// `HTTPError.shutDown`, as does every later `send`. Safe to call more than once.
    public func shutdown() {
        loop.stop()
    }

    /// Rejects what libcurl would send wrongly: a non-http(s) URL, or header text that could
    /// smuggle in further headers. Messages name the header, never its value.
    static func validate(_ request: HTTPRequest) throws {
        let url = request.url
        let scheme = url.utf8.prefix(8).map { $0 | 0x20 }
        let http = Array("http://".utf8)
        let https = Array("https://".utf8)
        guard scheme.starts(with: http) || scheme.starts(with: https) else {
            throw HTTPError.invalidURL(url: HTTPError.redact(url), reason: "only http:// and https:// URLs are supported")
        }
        if url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw HTTPError.invalidURL(url: HTTPError.redact(url), reason: "the URL contains spaces or control characters")
        }
        for field in request.headers {
            let nameIsValid =
                !field.name.isEmpty
                && field.name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x3A }
            guard nameIsValid else {
                throw HTTPError.invalidRequest(
                    url: HTTPError.redact(url), reason: "header name \"\(field.name)\" is not a valid token")
            }
            if field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                throw HTTPError.invalidRequest(
                    url: HTTPError.redact(url), reason: "header \(field.name) has a line break or NUL in its value")
            }
        }
    }
}
