import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHTTP

/// The fake OpenAI judge, driven over real loopback HTTP with the project's own transport.
@Suite("FakeJudgeServer")
struct FakeJudgeServerTests {
    typealias Fault = FakeJudgeServer.Fault

    // MARK: Normal replies

    @Test("a valid request gets the image's expected scores and a usage block", arguments: ScoringProtocol.allCases)
    func validRequestGetsExpectedScores(scoringProtocol: ScoringProtocol) async throws {
        // Given a fake judge and six different images
        let server = try FakeJudgeServer(.init(scoringProtocol: scoringProtocol))
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        for seed in 1...6 {
            // When each is sent as a well-formed chat completion
            let image = ImageFixtures.png(seed: seed)
            let chat = ChatBody(image: image)
            let response = try await send(chat.data(), to: server, over: transport)

            // Then the reply is a chat.completion holding the expected scores, by the official rules
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            let json = try #require(object(response.body))
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "judge-model")
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            let choices = try #require(json["choices"] as? [[String: Any]])
            #expect(choices.count == 1)
            #expect(choices.first?["finish_reason"] as? String == "stop")
            let message = try #require(choices.first?["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            let content = try #require(message["content"] as? String)
            #expect(content == FakeJudgeServer.replyText(for: image, scoringProtocol: scoringProtocol))
            #expect(officialScores(content, scoringProtocol) == FakeJudgeServer.expectedScores(for: image, scoringProtocol: scoringProtocol))

            // And usage counts the request's text and the reply's length
            let usage = try #require(json["usage"] as? [String: Int])
            let prompt = FakeJudgeServer.promptTokens(text: chat.text, systemPrompt: chat.system)
            let completion = FakeJudgeServer.completionTokens(for: content)
            #expect(usage == ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion])
        }

        // And nothing was refused, and the log holds what was sent
        #expect(server.validationFailures.isEmpty)
        #expect(server.stats.okReplies == 6)
        let log = server.requestLog
        #expect(log.count == 6)
        #expect(Set(log.compactMap(\.imageSHA256)) == Set((1...6).map { SHA256.hex(ImageFixtures.png(seed: $0)) }))
        #expect(log.allSatisfy { $0.seed == 7 && $0.maxTokens == 512 && $0.temperature == 0 && $0.status == 200 })
        #expect(log.first?.systemPrompt == ChatBody(image: Data()).system)
    }

    @Test("every reply style reads back to the expected scores under the official patterns")
    func replyStylesParse() {
        for scoringProtocol in ScoringProtocol.allCases {
            var shapes: Set<String> = []
            for seed in 0..<300 {
                // Given an image and the reply text the fake judge gives it
                let image = ImageFixtures.png(seed: seed)
                let text = FakeJudgeServer.replyText(for: image, scoringProtocol: scoringProtocol)
                shapes.insert(text.filter { !$0.isNumber })

                // When it is read with the official pattern, Then the scores are the expected ones
                #expect(officialScores(text, scoringProtocol) == FakeJudgeServer.expectedScores(for: image, scoringProtocol: scoringProtocol),
                        "\(scoringProtocol) reply \(text.debugDescription)")
            }
            // And the styles really vary
            #expect(shapes.count == (scoringProtocol == .legacy ? 6 : 4))
        }
    }

    @Test("expected scores follow the image's SHA-256 bytes")
    func expectedScoresFromDigest() {
        // Given an image and its digest
        let image = ImageFixtures.png(seed: 99)
        var hasher = SHA256()
        hasher.update(image)
        let d = hasher.finalize()

        // When its scores are asked for, Then they are the documented functions of the digest
        #expect(FakeJudgeServer.expectedScores(for: image, scoringProtocol: .legacy)
            == AspectScores(["consistency": Double(d[0] % 3), "realism": Double(d[1] % 3), "aesthetic_quality": Double(d[2] % 3)]))
        #expect(FakeJudgeServer.expectedScores(for: image, scoringProtocol: .verified) == AspectScores(["score": Double(d[0] % 2)]))
    }

    // MARK: Validation

    /// One way a request breaks the protocol.
    enum Violation: String, CaseIterable, Sendable {
        case wrongModel, badBase64, mimeDisagreesWithBytes, unknownMime, notADataURL, wrongKey, missingKey
        case temperature07, missingTemperature, missingMaxTokens, wrongPath, wrongMethod, notJSON, twoImages
        case assistantLast, textContent

        /// The status and a fragment of the error message the server must answer with.
        var expected: (status: Int, fragment: String) {
            switch self {
            case .wrongModel: return (400, "does not exist")
            case .badBase64: return (400, "base64")
            case .mimeDisagreesWithBytes: return (400, "says image/png but the bytes are image/jpeg")
            case .unknownMime: return (400, "image/gif")
            case .notADataURL: return (400, "data URL")
            case .wrongKey: return (401, "Incorrect API key")
            case .missingKey: return (401, "didn't provide an API key")
            case .temperature07: return (400, "temperature is 0.7, expected 0")
            case .missingTemperature: return (400, "temperature is missing")
            case .missingMaxTokens: return (400, "max_tokens")
            case .wrongPath: return (400, "Invalid URL (POST /v1/completions)")
            case .wrongMethod: return (400, "Invalid method")
            case .notJSON: return (400, "could not parse the JSON")
            case .twoImages: return (400, "exactly one text part and one image_url part")
            case .assistantLast: return (400, "last message must have role user")
            case .textContent: return (400, "must be an array")
            }
        }
    }

    @Test("a request that breaks the protocol is refused OpenAI-style and recorded", arguments: Violation.allCases)
    func refusesViolations(violation: Violation) async throws {
        // Given a fake judge and a request broken in one way
        let server = try FakeJudgeServer(.init(scoringProtocol: .verified))
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let image = ImageFixtures.png(seed: 3)
        var chat = ChatBody(image: image)
        var key: String? = "sk-test-0123456789abcdef"
        var path = "/chat/completions"
        var method = HTTPRequest.Method.post
        var raw: Data?
        switch violation {
        case .wrongModel: chat.model = "gpt-4o"
        case .badBase64: chat.imageURL = "data:image/png;base64,iVBOR!!not-base64"
        case .mimeDisagreesWithBytes: chat.imageURL = "data:image/png;base64," + ImageFixtures.jpeg(seed: 3).base64EncodedString()
        case .unknownMime: chat.imageURL = "data:image/gif;base64," + image.base64EncodedString()
        case .notADataURL: chat.imageURL = "https://example.com/1.png"
        case .wrongKey: key = "sk-wrong-key-000000"
        case .missingKey: key = nil
        case .temperature07: chat.fields["temperature"] = 0.7
        case .missingTemperature: chat.fields["temperature"] = nil
        case .missingMaxTokens: chat.fields["max_tokens"] = nil
        case .wrongPath: path = "/completions"
        case .wrongMethod: method = .put
        case .notJSON: raw = Data("{\"model\": \"judge-model\", ".utf8)
        case .twoImages: chat.extraParts = [["type": "image_url", "image_url": ["url": chat.imageURL]]]
        case .assistantLast: chat.trailingAssistant = true
        case .textContent: chat.userContentAsText = true
        }

        // When it is sent
        let response = try await send(raw ?? chat.data(), to: server, over: transport, key: key, path: path, method: method)

        // Then the server answers with the status and an OpenAI error body
        let expected = violation.expected
        #expect(response.status == expected.status)
        let error = try #require(object(response.body)?["error"] as? [String: Any])
        let message = try #require(error["message"] as? String)
        #expect(message.contains(expected.fragment), "\(message)")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error.keys.contains("code"))
        if expected.status == 401 { #expect(error["code"] as? String == "invalid_api_key") }

        // And the refusal is recorded once, without the key in clear
        let failures = server.validationFailures
        #expect(failures.count == 1)
        #expect(failures.first?.contains(expected.fragment) == true, "\(failures)")
        #expect(!failures.joined().contains("sk-wrong-key-000000"))
        #expect(server.stats.rejected == 1)
        #expect(server.stats.okReplies == 0)
    }

    @Test("checks that are configured off accept any key, temperature, and JPEG or WebP images")
    func optionalChecks() async throws {
        // Given a fake judge with no key and no expected temperature
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .legacy)
        configuration.apiKey = nil
        configuration.expectedTemperature = nil
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When requests come with no key, temperature 0.7, no system message or one as text parts,
        // JPEG and WebP images
        var jpeg = ChatBody(image: ImageFixtures.jpeg(seed: 5), mime: "image/jpeg")
        jpeg.fields["temperature"] = 0.7
        jpeg.system = nil
        var webp = ChatBody(image: ImageFixtures.webp(seed: 5), mime: "image/webp")
        webp.systemAsParts = true
        let first = try await send(jpeg.data(), to: server, over: transport, key: nil)
        let second = try await send(webp.data(), to: server, over: transport, key: "anything")

        // Then both are answered with scores
        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(server.validationFailures.isEmpty)
        #expect(server.stats.okReplies == 2)
        #expect(server.requestLog.map(\.systemPrompt) == [nil, webp.system])
    }

    // MARK: Faults

    @Test("each fault can be forced and looks on the wire as specified",
          arguments: Fault.allCases, ScoringProtocol.allCases)
    func forcedFault(fault: Fault, scoringProtocol: ScoringProtocol) async throws {
        // Given a fake judge that gives every valid request this fault
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: scoringProtocol)
        configuration.faultRate = 1
        configuration.faults = [fault]
        configuration.slowDelay = 0.5
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let image = ImageFixtures.png(seed: 11)
        let expected = FakeJudgeServer.expectedScores(for: image, scoringProtocol: scoringProtocol)
        let body = ChatBody(image: image).data()

        // When a request is sent, Then the reply has the fault's shape
        switch fault {
        case .rateLimited:
            let response = try await send(body, to: server, over: transport)
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "0")
            let error = try #require(object(response.body)?["error"] as? [String: Any])
            #expect(error["code"] as? String == "rate_limit_exceeded")
            #expect(error["type"] as? String == "requests")
            #expect((error["message"] as? String)?.contains("Rate limit reached") == true)
        case .serverError, .unavailable:
            let response = try await send(body, to: server, over: transport)
            #expect(response.status == (fault == .serverError ? 500 : 503))
            let error = try #require(object(response.body)?["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error")
        case .slow:
            // A client that gives up first times out; a patient one gets the right scores late.
            await #expect {
                _ = try await send(body, to: server, over: transport, timeout: 0.15)
            } throws: { error in
                if case HTTPError.timedOut = error { return true }
                return false
            }
            let started = Date()
            let response = try await send(body, to: server, over: transport)
            #expect(Date().timeIntervalSince(started) >= 0.45)
            #expect(officialScores(try content(response), scoringProtocol) == expected)
        case .reset:
            await #expect {
                _ = try await send(body, to: server, over: transport)
            } throws: { error in
                if case HTTPError.connectionFailed = error { return true }
                return false
            }
        case .invalidJSON:
            let response = try await send(body, to: server, over: transport)
            #expect(response.status == 200)
            #expect(!response.body.isEmpty)
            #expect(object(response.body) == nil)
        case .emptyChoices:
            let response = try await send(body, to: server, over: transport)
            #expect(response.status == 200)
            let json = try #require(object(response.body))
            #expect((json["choices"] as? [Any])?.isEmpty == true)
            #expect(json["usage"] != nil)
        case .unparseable:
            let text = try content(try await send(body, to: server, over: transport))
            #expect(text == "I cannot evaluate this image.")
            #expect(officialScores(text, scoringProtocol) == nil)
        case .thinkBlock:
            let text = try content(try await send(body, to: server, over: transport))
            #expect(text.hasPrefix("<think>"))
            // A reader that takes the first match inside the think block gets every score wrong…
            let decoys = try #require(firstMatchScores(text, scoringProtocol))
            for aspect in scoringProtocol.aspects { #expect(decoys[aspect] != expected[aspect], "\(aspect) in \(text)") }
            // …and one that drops the block first gets them right.
            let visible = String(text[text.range(of: "</think>")!.upperBound...])
            #expect(officialScores(visible, scoringProtocol) == expected)
            #expect(firstMatchScores(visible, scoringProtocol) == expected)
        case .bareNumbers:
            let text = try content(try await send(body, to: server, over: transport))
            let numbers = text.split(separator: "\n").map { Double(String($0)) }
            #expect(numbers == scoringProtocol.aspects.map { expected[$0] })
        }

        // And the fault is counted, and no request was refused
        #expect(server.stats.faultsServed[fault] == (fault == .slow ? 2 : 1))
        #expect(server.validationFailures.isEmpty)
        #expect(server.stats.okReplies == ([.slow, .thinkBlock, .bareNumbers].contains(fault) ? (fault == .slow ? 2 : 1) : 0))
    }

    @Test("faults are drawn at the configured rate from a seeded generator")
    func seededFaults() async throws {
        // Given two servers with the same seed and one with another, all at a 50% fault rate
        func statuses(seed: UInt64) async throws -> [Int] {
            var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
            configuration.faultRate = 0.5
            configuration.faults = [.serverError, .unavailable, .rateLimited]
            configuration.seed = seed
            let server = try FakeJudgeServer(configuration)
            defer { server.stop() }
            let transport = HTTPTransport()
            defer { transport.shutdown() }
            var statuses: [Int] = []
            // When 40 requests are sent one after another
            for seed in 0..<40 {
                statuses.append(try await send(ChatBody(image: ImageFixtures.png(seed: seed)).data(), to: server, over: transport).status)
            }
            #expect(server.stats.faultsServed.values.reduce(0, +) == statuses.filter { $0 != 200 }.count)
            return statuses
        }
        let first = try await statuses(seed: 42)
        let again = try await statuses(seed: 42)
        let other = try await statuses(seed: 43)

        // Then the same seed gives the same faults, another seed others, at roughly the rate
        #expect(first == again)
        #expect(first != other)
        let faults = first.filter { $0 != 200 }.count
        #expect((8...32).contains(faults), "\(faults) faults in 40")
        #expect(Set(first).isSubset(of: [200, 429, 500, 503]))
    }

    @Test("per-image settings fail one image forever and make another unreadable")
    func perImageFaults() async throws {
        // Given a server told to fail image A and garble image B
        let a = ImageFixtures.png(seed: 1), b = ImageFixtures.png(seed: 2), c = ImageFixtures.png(seed: 3)
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .legacy)
        configuration.failForever = [SHA256.hex(a)]
        configuration.alwaysUnparseable = [SHA256.hex(b)]
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }

        // When each is sent (A three times)
        var statusesOfA: [Int] = []
        for _ in 0..<3 { statusesOfA.append(try await send(ChatBody(image: a).data(), to: server, over: transport).status) }
        let textOfB = try content(try await send(ChatBody(image: b).data(), to: server, over: transport))
        let textOfC = try content(try await send(ChatBody(image: c).data(), to: server, over: transport))

        // Then A always gets 500, B no scores, C its scores
        #expect(statusesOfA == [500, 500, 500])
        #expect(officialScores(textOfB, .legacy) == nil)
        #expect(officialScores(textOfC, .legacy) == FakeJudgeServer.expectedScores(for: c, scoringProtocol: .legacy))
        #expect(server.stats.faultsServed == [.serverError: 3, .unparseable: 1])
        #expect(server.stats.okReplies == 1)
    }

    @Test("stats count requests per image and the peak number in flight")
    func statsPerImage() async throws {
        // Given a server that takes half a second per reply
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: .verified)
        configuration.latency = 0.5
        let server = try FakeJudgeServer(configuration)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let seeds = [1, 1, 1, 2, 2, 3]

        // When six requests for three images are sent at once
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for seed in seeds {
                let body = ChatBody(image: ImageFixtures.png(seed: seed)).data()
                group.addTask { try await send(body, to: server, over: transport).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        // Then each image is counted as often as it was sent, and all six were in flight together
        #expect(statuses == Array(repeating: 200, count: 6))
        let stats = server.stats
        #expect(stats.requests == 6)
        #expect(stats.okReplies == 6)
        #expect(stats.requestsByImage == [
            SHA256.hex(ImageFixtures.png(seed: 1)): 3, SHA256.hex(ImageFixtures.png(seed: 2)): 2,
            SHA256.hex(ImageFixtures.png(seed: 3)): 1,
        ])
        #expect(stats.maxConcurrent == 6)
        #expect(stats.faultsServed.isEmpty)
    }
}

// MARK: Helpers

/// A chat-completions body as the wise client sends it, with knobs to break it.
private struct ChatBody {
    var model = "judge-model"
    var system: String? = "You are a strict judge of generated images."
    var text = "Prompt: a red apple on a table.\nRate the image. Reply as `Score: 0` or `Score: 1`."
    var imageURL: String
    /// Top-level fields besides model and messages; set one to nil to leave it out.
    var fields: [String: Any] = ["temperature": 0, "max_tokens": 512, "seed": 7, "top_p": 1]
    var extraParts: [[String: Any]] = []
    var trailingAssistant = false
    /// Sends the system message as an array of text parts, as the official WISE script does.
    var systemAsParts = false
    var userContentAsText = false

    init(image: Data, mime: String = "image/png") {
        imageURL = "data:\(mime);base64,\(image.base64EncodedString())"
    }

    func data() -> Data {
        var messages: [[String: Any]] = []
        if let system {
            messages.append(["role": "system", "content": systemAsParts ? [["type": "text", "text": system]] as Any : system])
        }
        let parts: [[String: Any]] = [
            ["type": "text", "text": text], ["type": "image_url", "image_url": ["url": imageURL]],
        ] + extraParts
        messages.append(["role": "user", "content": userContentAsText ? text as Any : parts])
        if trailingAssistant { messages.append(["role": "assistant", "content": "Score: 1"]) }
        var body = fields
        body["model"] = model
        body["messages"] = messages
        return try! JSONSerialization.data(withJSONObject: body)
    }
}

/// Posts `body` to the server's chat-completions endpoint (or another path under /v1).
private func send(
    _ body: Data, to server: FakeJudgeServer, over transport: HTTPTransport, key: String? = "sk-test-0123456789abcdef",
    path: String = "/chat/completions", method: HTTPRequest.Method = .post, timeout: Double = 5
) async throws -> HTTPResponse {
    var headers: HTTPHeaders = ["Content-Type": "application/json"]
    if let key { headers.add("Authorization", "Bearer \(key)") }
    return try await transport.send(HTTPRequest(method: method, url: server.baseURL + path, headers: headers, body: body, timeout: timeout))
}

private func object(_ data: Data) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

/// The first choice's message text of a 200 reply.
private func content(_ response: HTTPResponse) throws -> String {
    #expect(response.status == 200)
    let json = try #require(object(response.body))
    let choices = try #require(json["choices"] as? [[String: Any]])
    let message = try #require(choices.first?["message"] as? [String: Any])
    return try #require(message["content"] as? String)
}

private let legacyPattern = try! NSRegularExpression(
    pattern: #"\*{0,2}(Consistency|Realism|Aesthetic Quality)\*{0,2}\s*[::]?\s*(\d)"#, options: [.caseInsensitive])
private let verifiedPattern = try! NSRegularExpression(pattern: #"Score:\s*([01])"#)

/// Every (aspect, value) match of the official pattern, in order.
private func matches(_ text: String, _ scoringProtocol: ScoringProtocol) -> [(String, Double)] {
    let range = NSRange(text.startIndex..., in: text)
    switch scoringProtocol {
    case .legacy:
        return legacyPattern.matches(in: text, range: range).map { match in
            let name = String(text[Range(match.range(at: 1), in: text)!]).lowercased().replacingOccurrences(of: " ", with: "_")
            return (name, Double(String(text[Range(match.range(at: 2), in: text)!]))!)
        }
    case .verified:
        return verifiedPattern.matches(in: text, range: range).map { match in
            ("score", Double(String(text[Range(match.range(at: 1), in: text)!]))!)
        }
    }
}

/// Scores as the official evaluators read them (legacy: the last match of each aspect wins,
/// as gpt_eval.py's loop does; verified: the first `Score:`), or nil when an aspect is missing.
private func officialScores(_ text: String, _ scoringProtocol: ScoringProtocol) -> AspectScores? {
    let found = matches(text, scoringProtocol)
    var values: [String: Double] = [:]
    switch scoringProtocol {
    case .legacy: for (aspect, value) in found { values[aspect] = value }
    case .verified: if let first = found.first { values[first.0] = first.1 }
    }
    return Set(values.keys) == Set(scoringProtocol.aspects) ? AspectScores(values) : nil
}

/// Scores from the first match of each aspect, as a naive reader takes them.
private func firstMatchScores(_ text: String, _ scoringProtocol: ScoringProtocol) -> AspectScores? {
    var values: [String: Double] = [:]
    for (aspect, value) in matches(text, scoringProtocol) where values[aspect] == nil { values[aspect] = value }
    return Set(values.keys) == Set(scoringProtocol.aspects) ? AspectScores(values) : nil
}
