import Foundation
import Synchronization
import Testing
import TestSupport
import WiseAPI
import WiseCore
import WiseHTTP

/// The one API client against real loopback servers: what it retries, follows, refuses and hides.
@Suite struct APIClientTests {
    static let service = APIService(name: "the test API", urlOption: "--url", keyOption: "--key-env", modelOption: nil)
    static let key = "sk-test-0123456789abcdef"

    func client(attempts: Int = 3, key: String? = APIClientTests.key, maxReply: Int = 1 << 20) -> APIClient {
        var configuration = APIClientConfiguration(service: Self.service, apiKey: key)
        configuration.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.001, maxDelay: 0.01)
        configuration.timeout = 10
        configuration.maxReplyBytes = maxReply
        return APIClient(transport: HTTPTransport(), configuration: configuration)
    }

    /// Reads a 2xx reply's text; anything else is recorded through the client's classification.
    func text(_ client: APIClient, url: String) -> (HTTPResponse) throws -> String {
        { response in
            guard (200..<300).contains(response.status) else { throw client.failure(for: response, endpoint: url) }
            return String(decoding: response.body, as: UTF8.self)
        }
    }

    @Test func retriesServerErrorsAndRateLimitsThenSucceeds() async throws {
        // Given a server that answers 503, then 429 with Retry-After 0, then 200
        let count = Atomic<Int>(0)
        let server = try LoopbackHTTPServer { _ in
            switch count.add(1, ordering: .relaxed).newValue {
            case 1: return .status(503)
            case 2: return .respond(status: 429, headers: [("Retry-After", "0")])
            default: return .text("done")
            }
        }
        defer { server.stop() }
        // When one POST is sent / Then it succeeds on the third attempt
        let api = client()
        let reply = try await api.post(server.baseURL + "/x", body: Data("{}".utf8), read: text(api, url: server.baseURL))
        #expect(reply == "done" && server.requestCount == 3)
    }

    @Test func aPostIsNeverFollowedAndStopsTheRun() async throws {
        // Given a server that redirects a POST to another server
        let other = try LoopbackHTTPServer { _ in .text("elsewhere") }
        defer { other.stop() }
        let server = try LoopbackHTTPServer { _ in .respond(status: 307, headers: [("Location", other.baseURL + "/steal?k=\(Self.key)")]) }
        defer { server.stop() }
        // When the POST is sent
        let api = client()
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(server.baseURL + "/x", body: Data("{}".utf8), read: text(api, url: server.baseURL + "/x"))
        }
        // Then nothing reached the other server, the run stops with a usage error, and the key is nowhere in the text
        #expect(other.requestCount == 0 && server.requestCount == 1)
        #expect(error?.stop?.kind == .usage && error?.stop?.message.contains("never replays a POST") == true)
        #expect(!"\(error!.reason) \(error!.stop!.message)".contains("0123456789"))
    }

    @Test func aGetFollowsRedirectsAndDropsTheKeyOnAnotherHost() async throws {
        // Given a file server on another origin that records what it was sent, and a redirect to it
        let seen = Mutex<[String?]>([])
        let files = try LoopbackHTTPServer { request in
            seen.withLock { $0.append(request.header("Authorization")) }
            return .text("payload")
        }
        defer { files.stop() }
        let hostOther = files.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let sameOriginSeen = Mutex<[String?]>([])
        let server = try LoopbackHTTPServer { request in
            sameOriginSeen.withLock { $0.append(request.header("Authorization")) }
            if request.path == "/start" { return .respond(status: 302, headers: [("Location", "/hop")]) }
            return .respond(status: 302, headers: [("Location", hostOther + "/file")])
        }
        defer { server.stop() }
        // When a GET with the key is sent
        let api = client()
        let request = HTTPRequest(method: .get, url: server.baseURL + "/start", headers: api.headers(json: false), timeout: 10)
        let body = try await api.send(request) { String(decoding: $0.body, as: UTF8.self) }
        // Then it arrives, the same-origin hop kept the key, and the other origin never saw it
        #expect(body == "payload")
        #expect(sameOriginSeen.withLock { $0 } == ["Bearer \(Self.key)", "Bearer \(Self.key)"])
        #expect(seen.withLock { $0 } == [nil])
    }

    @Test func refusedKeysStopWithPermissionAndAreRedacted() async throws {
        // Given a server that echoes a prefix of the key in its 401 message
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"error":{"message":"Incorrect API key provided: sk-test-01234567****"}}"#, status: 401)
        }
        defer { server.stop() }
        let api = client()
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(server.baseURL + "/x", body: Data("{}".utf8), read: text(api, url: server.baseURL + "/x"))
        }
        // Then one request, a permission stop naming the key option, no 8+ character prefix of the key
        #expect(server.requestCount == 1 && error?.stop?.kind == .permission)
        #expect(error?.stop?.message.contains("--key-env") == true)
        #expect(!"\(error!.reason) \(error!.stop!.message)".contains("sk-test-0"))
    }

    @Test func otherClientErrorsAreRecordedNotRetried() async throws {
        // Given a server that answers 400
        let server = try LoopbackHTTPServer { _ in .json(#"{"error":{"message":"bad size"}}"#, status: 400) }
        defer { server.stop() }
        let api = client()
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(server.baseURL + "/x", body: Data("{}".utf8), read: text(api, url: server.baseURL + "/x"))
        }
        // Then it is recorded (no stop) after one request, with the server's words
        #expect(server.requestCount == 1 && error?.stop == nil && error?.status == 400 && error?.reason.contains("bad size") == true)
    }

    @Test func unusableRepliesAreAskedAgainThenRecorded() async throws {
        // Given a server whose 200 replies the caller cannot read
        let server = try LoopbackHTTPServer { _ in .text("not what you wanted") }
        defer { server.stop() }
        let api = client(attempts: 3)
        struct Unreadable: Error {}
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(server.baseURL + "/x", body: Data("{}".utf8)) { _ -> String in throw Unreadable() }
        }
        // Then it was asked three times and recorded as given up
        #expect(server.requestCount == 3 && error?.reason.hasPrefix("gave up after 3 attempts; last: unusable reply (HTTP 200)") == true)
    }

    @Test func oversizedRepliesAreCutAndNotRetried() async throws {
        // Given a reply larger than the cap
        let server = try LoopbackHTTPServer { _ in .text(String(repeating: "x", count: 200_000)) }
        defer { server.stop() }
        let api = client(maxReply: 10_000)
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(server.baseURL + "/x", body: Data("{}".utf8), read: text(api, url: server.baseURL + "/x"))
        }
        #expect(server.requestCount == 1 && error?.reason.contains("larger than the limit") == true)
    }

    @Test func nothingListeningTripsTheBreaker() async throws {
        // Given a port where nothing listens
        let refusing = try LoopbackHTTPServer.RefusingPort()
        defer { refusing.close() }
        var configuration = APIClientConfiguration(service: Self.service)
        configuration.retry = RetryPolicy(maxAttempts: 100, baseDelay: 0.001, maxDelay: 0.001)
        let api = APIClient(transport: HTTPTransport(), configuration: configuration)
        // When a request is sent / Then the run stops as unavailable, naming the URL option, long before 100 attempts
        let error = await #expect(throws: APIFailure.self) {
            try await api.post(refusing.baseURL + "/x", body: Data("{}".utf8)) { _ in "" }
        }
        #expect(error?.stop?.kind == .unavailable && error?.stop?.message.contains("--url") == true)
    }

    @Test(arguments: [
        ("key sk-test-0123456789abcdef here", "key *** here"),
        ("prefix sk-test-01 cut", "prefix *** cut"),
        ("seven sk-test stays", "seven sk-test stays"),
    ])
    func redactionRemovesTheKeyAndLongPrefixes(_ text: String, _ expected: String) {
        #expect(Redactor(secret: Self.key)(text) == expected)
    }
}
