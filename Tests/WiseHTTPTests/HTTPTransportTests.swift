import Foundation
import Synchronization
import Testing
import TestSupport
import WiseHTTP

/// Answers with the request body, and reports what arrived in `X-Echo-*` headers.
@Sendable private func echo(_ request: ServerRequest) -> ServerAction {
    .respond(
        status: 200,
        headers: [
            ("X-Echo-Method", request.method),
            ("X-Echo-Target", request.target),
            ("X-Echo-Test", request.header("X-Test") ?? "-"),
            ("X-Echo-Content-Type", request.header("Content-Type") ?? "-"),
            ("X-Echo-Expect", request.header("Expect") ?? "-"),
            ("X-Echo-Connection", String(request.connectionID)),
        ],
        body: request.body)
}

/// The error `send` threw, or nil if it returned a response.
private func failure(of request: HTTPRequest, on transport: HTTPTransport) async -> (any Error)? {
    do {
        _ = try await transport.send(request)
        return nil
    } catch {
        return error
    }
}

/// Within how long of each other two requests must go out for libcurl to reuse the first one's connection.
///
/// libcurl hands out an idle connection only if it sat idle for at most CURLOPT_MAXAGE_CONN (118 s by
/// default); after that it opens a new one, rightly. Requests a test sends back to back can still be
/// further apart than that on a saturated machine, where a test's task may wait minutes for a thread
/// to resume on; tests that expect reuse therefore expect it only within this bound, kept below 118 s.
private let reuseWindow: Duration = .seconds(100)

/// A thread-safe count that escaping closures can share.
private final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}


@Suite("HTTPTransport over loopback")
struct HTTPTransportTests {
    @Test func getSendsHeadersAndReturnsStatusHeadersAndTiming() async throws {
        // Given a server that echoes what it receives
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we GET with a custom header
        let response = try await transport.send(
            .get(server.baseURL + "/hello?x=1", headers: ["X-Test": "abc"], timeout: 5))

        // Then the request arrived as sent and the response is complete
        #expect(response.status == 200)
        #expect(response.header("x-echo-method") == "GET")
        #expect(response.header("X-ECHO-TARGET") == "/hello?x=1")
        #expect(response.header("X-Echo-Test") == "abc")
        #expect(response.header("Content-Length") == "0")
        #expect(response.body.isEmpty)
        #expect(response.httpVersion == .http1_1)
        #expect(response.totalTime > 0 && response.totalTime < 5)
    }

    @Test func postRoundTripsBinaryBodyExactly() async throws {
        // Given an echo server and 200 KB of bytes of every value
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        var generator = SystemRandomNumberGenerator()
        let payload = Data((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) })

        // When we POST it with and without a declared type, and POST nothing
        let untyped = try await transport.send(.post(server.baseURL + "/echo", body: payload, timeout: 5))
        let typed = try await transport.send(
            .post(server.baseURL + "/echo", headers: ["Content-Type": "application/json"],
                  body: Data("{\"a\":1}".utf8), timeout: 5))
        let empty = try await transport.send(HTTPRequest(method: .post, url: server.baseURL + "/echo", timeout: 5))

        // Then every byte comes back, with no 100-continue wait and a truthful content type
        #expect(untyped.body == payload)
        #expect(untyped.header("X-Echo-Method") == "POST")
        #expect(untyped.header("X-Echo-Content-Type") == "application/octet-stream")
        #expect(untyped.header("X-Echo-Expect") == "-")
        #expect(typed.text == "{\"a\":1}")
        #expect(typed.header("X-Echo-Content-Type") == "application/json")
        #expect(empty.status == 200 && empty.body.isEmpty)
    }

    @Test func bodyIsResentWhenAReusedConnectionTurnsOutDead() async throws {
        // Given a server that drops the second request on its first connection unanswered
        let seen = Mutex<[Int: Int]>([:])
        let server = try LoopbackHTTPServer { request in
            let number = seen.withLock { counts in
                counts[request.connectionID, default: 0] += 1
                return counts[request.connectionID]!
            }
            return request.connectionID == 1 && number == 2 ? .close : echo(request)
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let payload = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

        // When two POSTs go out one right after the other, the second over the reused (then dropped) connection
        // (from a thread of their own: between two awaits, a saturated test process can leave the connection
        // idle past libcurl's limit, and then the second goes out over a new connection and tests nothing)
        let url = server.baseURL
        let (first, second, apart) = try await onOwnThread {
            let start = ContinuousClock.now
            let first = try transport.sendAndWait(.post(url + "/a", body: Data("first".utf8), timeout: 5))
            let second = try transport.sendAndWait(.post(url + "/b", body: payload, timeout: 5))
            return (first, second, ContinuousClock.now - start)
        }
        try #require(apart < reuseWindow, "the two POSTs took \(apart), so libcurl could not reuse the connection")

        // Then libcurl retried on a fresh connection, rewinding the body, and it arrived whole
        #expect(first.text == "first")
        #expect(second.body == payload)
        #expect(second.header("X-Echo-Connection") == "2")
        #expect(server.requestCount == 3)
    }

    @Test func putDeleteAndHeadUseTheirMethods() async throws {
        // Given an echo server
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we send PUT, DELETE and HEAD
        let put = try await transport.send(
            HTTPRequest(method: .put, url: server.baseURL + "/r", body: Data("x".utf8), timeout: 5))
        let delete = try await transport.send(HTTPRequest(method: .delete, url: server.baseURL + "/r", timeout: 5))
        let head = try await transport.send(HTTPRequest(method: .head, url: server.baseURL + "/r", timeout: 5))

        // Then the server saw each method, and HEAD got headers only
        #expect(put.header("X-Echo-Method") == "PUT" && put.text == "x")
        #expect(delete.header("X-Echo-Method") == "DELETE")
        #expect(head.header("X-Echo-Method") == "HEAD" && head.body.isEmpty)
    }

    @Test func errorStatusIsReturnedNotThrown() async throws {
        // Given a server that knows nothing
        let server = try LoopbackHTTPServer { _ in .text("no such thing", status: 404) }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we ask for something
        let response = try await transport.send(.get(server.baseURL + "/missing", timeout: 5))

        // Then the 404 is a response
        #expect(response.status == 404)
        #expect(!response.isSuccess)
        #expect(response.text == "no such thing")
    }

    @Test func redirectsAreFollowedWithFinalHeaders() async throws {
        // Given a server where /old redirects to /new
        let server = try LoopbackHTTPServer { request in
            request.path == "/old"
                ? .respond(status: 302, headers: [("Location", "/new"), ("X-Hop", "old")])
                : .respond(status: 200, headers: [("X-Hop", "new")], body: Data("arrived".utf8))
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we GET /old, following and not following redirects
        let followed = try await transport.send(.get(server.baseURL + "/old", timeout: 5))
        let unfollowed = try await transport.send(
            HTTPRequest(url: server.baseURL + "/old", timeout: 5, followRedirects: false))

        // Then the final response is reported, with only its own headers
        #expect(followed.status == 200 && followed.text == "arrived")
        #expect(followed.headers.values(for: "X-Hop") == ["new"])
        #expect(unfollowed.status == 302)
    }

    @Test func slowServerTimesOut() async throws {
        // Given a server that takes 30 s to answer
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, delay: 30) }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When the request allows 0.3 s
        let error = await failure(of: .get(server.baseURL + "/slow", timeout: 0.3), on: transport)

        // Then it fails as a timeout (libcurl's own verdict: the server would answer only after 30 s)
        guard case .timedOut(let url, let limit, _)? = error as? HTTPError else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(url == server.baseURL + "/slow")
        #expect(limit == 0.3)
        #expect((error as? HTTPError)?.isTransient == true)
    }

    @Test func resetClosedAndTruncatedConnectionsAreConnectionFailures() async throws {
        // Given a server that resets, closes, or cuts a reply short, by path
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/reset": return .reset
            case "/close": return .close
            default: return .truncate(status: 200, declaredLength: 1000, body: Data(repeating: 65, count: 10))
            }
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        for path in ["/reset", "/close", "/truncate"] {
            // When we ask
            let error = await failure(of: .get(server.baseURL + path, timeout: 5), on: transport)

            // Then each is a connection failure naming the URL
            guard case .connectionFailed(let url, _)? = error as? HTTPError else {
                Issue.record("\(path): expected a connection failure, got \(String(describing: error))")
                continue
            }
            #expect(url == server.baseURL + path)
        }
    }

    @Test func refusedPortIsConnectionFailure() async throws {
        // Given a port where nothing listens
        let port = try LoopbackHTTPServer.RefusingPort()
        defer { port.close() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we connect to it
        let error = await failure(of: .get(port.baseURL + "/", timeout: 5), on: transport)

        // Then it is a connection failure
        guard case .connectionFailed? = error as? HTTPError else {
            Issue.record("expected a connection failure, got \(String(describing: error))")
            return
        }
    }

    @Test func tlsHandshakeWithPlainServerIsTLSFailure() async throws {
        // Given a plain-HTTP server
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we speak TLS to it
        let url = "https://127.0.0.1:\(server.port)/"
        let error = await failure(of: .get(url, timeout: 5), on: transport)

        // Then the handshake fails as a TLS failure
        guard case .tlsFailed(let failedURL, _)? = error as? HTTPError else {
            Issue.record("expected a TLS failure, got \(String(describing: error))")
            return
        }
        #expect(failedURL == url)
    }

    @Test func responseOverTheCapIsStopped() async throws {
        // Given a server with 5000-byte replies, declared or read until close
        let server = try LoopbackHTTPServer { request in
            let body = Data(repeating: 120, count: 5000)
            if request.path == "/undeclared" {
                return .raw(Data("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + body)
            }
            return .respond(status: 200, body: request.path == "/exact" ? Data(repeating: 1, count: 1000) : body)
        }
        defer { server.stop() }
        let transport = HTTPTransport(options: .init(maxResponseBytes: 1000))
        defer { transport.shutdown() }

        // When we fetch replies over, at, and (with a per-request limit) under the cap
        let declared = await failure(of: .get(server.baseURL + "/declared", timeout: 5), on: transport)
        let undeclared = await failure(of: .get(server.baseURL + "/undeclared", timeout: 5), on: transport)
        let exact = try await transport.send(.get(server.baseURL + "/exact", timeout: 5))
        let raised = try await transport.send(
            HTTPRequest(url: server.baseURL + "/declared", timeout: 5, maxResponseBytes: 10_000))

        // Then the oversized ones fail with the cap error and the rest arrive whole
        for error in [declared, undeclared] {
            guard case .responseTooLarge(_, let limit)? = error as? HTTPError else {
                Issue.record("expected responseTooLarge, got \(String(describing: error))")
                continue
            }
            #expect(limit == 1000)
        }
        #expect(exact.body.count == 1000)
        #expect(raised.body.count == 5000)
    }

    @Test func fiveHundredConcurrentRequestsGetTheirOwnReplies() async throws {
        // Given a server whose reply depends on the request
        let server = try LoopbackHTTPServer { request in
            .respond(status: 200, body: Data("\(request.path)|".utf8) + Data(request.body.reversed()))
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let total = 500
        let width = 64

        // When 500 requests run 64 at a time
        let replies = try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
            func launch(_ index: Int) {
                group.addTask {
                    let request = HTTPRequest.post(
                        server.baseURL + "/item/\(index)", body: Data("payload-\(index)".utf8), timeout: 10)
                    return (index, try await transport.send(request))
                }
            }
            for index in 0..<width { launch(index) }
            var next = width
            var replies: [Int: HTTPResponse] = [:]
            while let (index, response) = try await group.next() {
                replies[index] = response
                if next < total {
                    launch(next)
                    next += 1
                }
            }
            return replies
        }

        // Then each got the reply to its own request, over reused connections
        #expect(replies.count == total)
        for index in 0..<total {
            let expected = "/item/\(index)|" + String("payload-\(index)".reversed())
            #expect(replies[index]?.text == expected)
        }
        #expect(server.requestCount == total)
        #expect(server.connectionCount <= 2 * width)
    }

    @Test func serverHoldsTwoHundredFiftyConnectionsAtOnce() async throws {
        // Given a server that holds each reply for 0.3 s, so all connections are open together
        let server = try LoopbackHTTPServer { request in
            .respond(status: 200, body: Data(request.path.utf8), delay: 0.3)
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When 250 requests start at once
        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<250 {
                group.addTask {
                    (index, try await transport.send(.get(server.baseURL + "/\(index)", timeout: 10)).text)
                }
            }
            var bodies: [Int: String] = [:]
            for try await (index, body) in group { bodies[index] = body }
            return bodies
        }

        // Then all are served concurrently, each on its own connection
        #expect(bodies.count == 250)
        #expect((0..<250).allSatisfy { bodies[$0] == "/\($0)" })
        #expect(server.connectionCount >= 200)
    }

    @Test func perHostConnectionCapIsHonoured() async throws {
        // Given a transport allowed two connections per host
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, body: Data("ok".utf8), delay: 0.02) }
        defer { server.stop() }
        let transport = HTTPTransport(options: .init(maxConnectionsPerHost: 2))
        defer { transport.shutdown() }

        // When 20 requests are sent at once
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { _ = try await transport.send(.get(server.baseURL + "/\(index)", timeout: 10)) }
            }
            try await group.waitForAll()
        }

        // Then they queued for the two connections
        #expect(server.requestCount == 20)
        #expect(server.connectionCount <= 2)
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        // Given an echo server
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When 30 requests are sent one after another
        var connections: [String] = []
        // (for each request, whether its connection can have sat idle past libcurl's limit since the previous one:
        // the idle time is at most from sending the previous request to this one's answer)
        var afterLongIdle: [Bool] = []
        var previousSent: ContinuousClock.Instant?
        for index in 0..<30 {
            let sent = ContinuousClock.now
            let response = try await transport.send(.get(server.baseURL + "/\(index)", timeout: 5))
            connections.append(response.header("X-Echo-Connection") ?? "?")
            afterLongIdle.append(previousSent.map { ContinuousClock.now - $0 >= reuseWindow } ?? false)
            previousSent = sent
        }

        // Then each went over the connection of the one before (unless it came after a long idle time)
        for index in 1..<30 where !afterLongIdle[index] {
            #expect(connections[index] == connections[index - 1], "request \(index) came over connection \(connections[index]), not \(connections[index - 1])")
        }
        // And the server saw these requests only, over no more connections than the long idle times explain
        // (on an unloaded machine: every request over the first connection)
        #expect(server.requestCount == 30)
        #expect(server.connectionCount == Set(connections).count)
        #expect(server.connectionCount <= 1 + afterLongIdle.filter { $0 }.count, "connections \(connections)")
        #expect(connections[0] == "1")
    }

    @Test func cancellationAbandonsTheTransferPromptly() async throws {
        // Given a server that takes 20 s on /slow
        let server = try LoopbackHTTPServer { request in
            request.path == "/slow" ? .respond(status: 200, delay: 20) : .text("quick")
        }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When a task waiting on /slow is cancelled
        let task = Task { try await transport.send(.get(server.baseURL + "/slow", timeout: 10)) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result

        // Then it throws CancellationError (the reply would come only after 20 s), and the transport still works
        #expect(throws: CancellationError.self) { try result.get() }
        let after = try await transport.send(.get(server.baseURL + "/fast", timeout: 5))
        #expect(after.text == "quick")
    }

    @Test func everyCancelledRequestFinishesWhateverItsStage() async throws {
        // Given a server that answers after a short delay
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, delay: 0.05) }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let finished = Counter()
        let total = 300

        // When requests are cancelled at every stage: queued, starting, in flight
        var tasks: [Task<Void, Never>] = []
        for index in 0..<total {
            tasks.append(Task {
                _ = try? await transport.send(.get(server.baseURL + "/\(index)", timeout: 5))
                finished.increment()
            })
            if index % 3 == 0 { await Task.yield() }
            tasks[index / 2].cancel()
        }
        try await Task.sleep(for: .milliseconds(20))
        for (index, task) in tasks.enumerated() where index % 4 == 1 { task.cancel() }

        // Then every one of them finishes (none is left waiting forever)
        let deadline = ContinuousClock.now + .seconds(5)
        while finished.value < total && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(finished.value == total)
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        // Given an echo server
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When send is called from a task that is already cancelled
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await transport.send(.get(server.baseURL + "/", timeout: 5))
        }
        let result = await task.result

        // Then it throws CancellationError without reaching the server
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(server.requestCount == 0)
    }

    @Test func shutdownFailsInFlightAndLaterRequests() async throws {
        // Given a request in flight to a slow server
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, delay: 3) }
        defer { server.stop() }
        let transport = HTTPTransport()
        let inFlight = Task { try await transport.send(.get(server.baseURL + "/slow", timeout: 10)) }
        try await Task.sleep(for: .milliseconds(200))

        // When the transport shuts down
        transport.shutdown()
        transport.shutdown()

        // Then the request in flight and any new one fail with shutDown
        let early = await inFlight.result
        guard case .failure(let error) = early, case .shutDown? = error as? HTTPError else {
            Issue.record("expected shutDown, got \(early)")
            return
        }
        let late = await failure(of: .get(server.baseURL + "/", timeout: 5), on: transport)
        guard case .shutDown? = late as? HTTPError else {
            Issue.record("expected shutDown, got \(String(describing: late))")
            return
        }
    }

    @Test func blockingGetWorksOutsideConcurrency() throws {
        // Given an echo server
        let server = try LoopbackHTTPServer(handler: echo)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we GET from plain synchronous code
        let response = try transport.get(server.baseURL + "/sync", timeout: 5)

        // Then the response arrives
        #expect(response.status == 200)
        #expect(response.header("X-Echo-Target") == "/sync")
    }

    @Test func badURLsAndHeadersAreRejected() async throws {
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // Given URLs with the wrong scheme, a space, or no valid host
        for url in ["ftp://example.com/x", "http://exa mple.com/", "http://[::1/x", "example.com"] {
            // When we send to them
            let error = await failure(of: .get(url, timeout: 2), on: transport)

            // Then each is an invalid URL
            guard case .invalidURL? = error as? HTTPError else {
                Issue.record("\(url): expected invalidURL, got \(String(describing: error))")
                continue
            }
        }

        // Given a header value that would smuggle in another header
        let request = HTTPRequest.get("http://127.0.0.1:1/", headers: ["X-Bad": "v\r\nX-Smuggled: 1"])

        // When we send it
        let error = await failure(of: request, on: transport)

        // Then it is refused before sending, and the message names the header but not the value
        guard case .invalidRequest? = error as? HTTPError else {
            Issue.record("expected invalidRequest, got \(String(describing: error))")
            return
        }
        let message = String(describing: error!)
        #expect(message.contains("X-Bad"))
        #expect(!message.contains("Smuggled"))
    }

    @Test func errorDescriptionsCarryNoSecrets() async throws {
        // Given a slow server and a request with a key in a header and in the query
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, delay: 2) }
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let request = HTTPRequest.get(
            server.baseURL + "/v1/models?key=QUERYSECRET",
            headers: ["Authorization": "Bearer sk-HEADERSECRET"], timeout: 0.2)

        // When it times out
        let error = await failure(of: request, on: transport)

        // Then the message says what and where, but shows neither secret
        let message = String(describing: error ?? CancellationError())
        #expect(message.contains("timed out"))
        #expect(message.contains(server.baseURL + "/v1/models?…"))
        #expect(!message.contains("QUERYSECRET"))
        #expect(!message.contains("HEADERSECRET"))
        #expect(!String(describing: request).contains("HEADERSECRET"))
        #expect(HTTPError.redact("https://user:pw@host:8/p?q=1#f") == "https://host:8/p?…")
    }

    @Test func fileServerServesFilesAndRefusesEscapes() async throws {
        // Given a directory with one file, served by the file handler
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wise-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let content = Data("{\"id\": 1}".utf8)
        try content.write(to: root.appendingPathComponent("sub/prompts.json"))
        let server = try LoopbackHTTPServer(handler: LoopbackHTTPServer.files(root: root))
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When we fetch the file, a missing one, a directory, and an escape attempt
        let found = try await transport.send(.get(server.baseURL + "/sub/prompts.json", timeout: 5))
        let missing = try await transport.send(.get(server.baseURL + "/sub/none.json", timeout: 5))
        let directory = try await transport.send(.get(server.baseURL + "/sub", timeout: 5))
        let escape = try await transport.send(.get(server.baseURL + "/sub/%2E%2E/sub/prompts.json", timeout: 5))

        // Then only the file is served
        #expect(found.status == 200 && found.body == content)
        #expect(found.header("Content-Type") == "application/json")
        #expect(missing.status == 404)
        #expect(directory.status == 404)
        #expect(escape.status == 404)
    }
}
