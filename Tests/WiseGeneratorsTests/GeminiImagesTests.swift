import Foundation
import Synchronization
import Testing
import WiseCore
import WiseHTTP
import TestSupport
@testable import WiseGenerators

/// The Gemini images adapter against a loopback server that speaks the Gemini API's generateContent
/// wire format: the request as Google documents it, inline images saved, blocks and safety stops
/// recorded as refusals, a wrong key stopping the run.
@Suite struct GeminiImagesTests {
    static let key = "AIzaTest0123456789abcdefghij"
    static let path = "/v1beta/models/gemini-2.5-flash-image:generateContent"

    func generator(_ server: GeminiServer, key: String = GeminiImagesTests.key, attempts: Int = 2) throws -> GeminiImagesGenerator {
        var configuration = GeminiImagesConfiguration()
        configuration.baseURL = server.server.baseURL + "/v1beta"
        configuration.apiKey = key
        configuration.apiKeyEnv = "GEMINI_API_KEY"
        configuration.retry = .init(maxAttempts: attempts, baseDelay: 0.001, maxDelay: 0.01)
        return try GeminiImagesGenerator(configuration, transport: HTTPTransport())
    }

    func item(_ text: String, width: Int? = 1024, height: Int? = 1024) throws -> GenerationItem {
        let prompt = Prompt(set: .verified, id: 7, category: .culture, categoryLabel: "c", subcategory: "s", domain: "d", text: text, explanation: "secret explanation")
        let out = try TempDirectory.make("gemini").appendingPathComponent("7.png")
        return GenerationItem(prompt: prompt, sampleIndex: 0, seed: 1007, output: out.path,
                              settings: GenerationSettings(width: width, height: height))
    }

    @Test func theRequestIsTheDocumentedOneAndTheInlineImageIsSaved() async throws {
        // Given a Gemini server
        let server = try GeminiServer()
        defer { server.server.stop() }
        // When one 1024×1024 image is asked for
        let item = try item("a mooncake on a plate")
        let image = try await generator(server).generate(item)
        // Then the body holds the prompt alone, the IMAGE modality, the seed and the 1:1 ratio
        let body = try #require(server.bodies.first)
        #expect(body["contents"]?.firstText == "a mooncake on a plate")
        #expect(!body.json.contains("secret explanation"))
        #expect(body["generationConfig"]?["responseModalities"] == .array([.string("IMAGE")]))
        #expect(body["generationConfig"]?["seed"]?.integer == 1007)
        #expect(body["generationConfig"]?["imageConfig"]?["aspectRatio"]?.string == "1:1")
        // And the image is saved at the item's path, with what the reply said beside it
        #expect(image.path == item.output && FileManager.default.fileExists(atPath: item.output))
        #expect(image.refusal == nil && image.format == .png)
        let metadata = try #require(image.metadata)
        #expect(metadata.contains("\"model_version\":\"gemini-2.5-flash-image\"") && metadata.contains("candidatesTokenCount"))
    }

    @Test(arguments: [("blocked", "blockReason SAFETY: The prompt was blocked."), ("unsafe", "finishReason IMAGE_SAFETY")])
    func aBlockOrSafetyStopIsARefusalAskedOnce(_ prompt: String, _ refusal: String) async throws {
        // Given a server that declines this prompt
        let server = try GeminiServer()
        defer { server.server.stop() }
        // When generating / Then the failure is a refusal in the API's words, not retried, nothing written
        let item = try item(prompt)
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator(server, attempts: 4).generate(item) }
        #expect(error?.refusal == "the API declined it on its content policy: \(refusal)")
        #expect(error?.stop == nil)
        #expect(server.server.requestCount == 1 && !FileManager.default.fileExists(atPath: item.output))
    }

    @Test func aReplyWithTextButNoImageIsAskedAgainThenNamed() async throws {
        // Given a model that answers in words only
        let server = try GeminiServer()
        defer { server.server.stop() }
        // When generating / Then it is asked again, and the failure quotes what the model wrote
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator(server, attempts: 2).generate(try item("chatty")) }
        #expect(error?.reason.contains("no image in the reply; the model wrote: Here is a description instead.") == true, "\(String(describing: error))")
        #expect(error?.refusal == nil && server.server.requestCount == 2)
    }

    @Test func aWrongKeyStopsTheRunNamingTheOptionAndNeverTheKey() async throws {
        // Given a key the server does not know
        let server = try GeminiServer()
        defer { server.server.stop() }
        let wrong = "AIzaWrong0123456789abcdefghij"
        // When generating / Then the run stops as a permission error naming the key option, without the key
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator(server, key: wrong).generate(try item("a cube")) }
        #expect(error?.stop?.kind == .permission && error?.stop?.message.contains("--gemini-api-key-env") == true)
        #expect(!(error?.reason ?? "").contains("AIzaWrong") && !(error?.stop?.message ?? "").contains("AIzaWrong"))
    }

    @Test func aRateLimitIsWaitedOutAndAskedAgain() async throws {
        // Given a server that answers 429 once
        let server = try GeminiServer(rateLimitFirst: true)
        defer { server.server.stop() }
        // When generating / Then the second attempt's image is saved
        let image = try await generator(server, attempts: 3).generate(try item("a cube"))
        #expect(FileManager.default.fileExists(atPath: image.path) && server.server.requestCount == 2)
    }

    @Test(arguments: [(1024, 1024, "1:1"), (1920, 1080, "16:9"), (832, 1248, "2:3"), (1344, 768, nil), (0, 5, nil)] as [(Int, Int, String?)])
    func sizesMapToTheRatiosTheAPITakes(_ width: Int, _ height: Int, _ ratio: String?) {
        #expect(GeminiImagesConfiguration.aspectRatio(width: width, height: height) == ratio)
    }
}

extension JSONValue {
    /// The text of `[ {parts: [ {text} ]} ]`: a generateContent body's first part.
    var firstText: String? {
        guard case .array(let contents) = self, let parts = contents.first?["parts"], case .array(let list) = parts else { return nil }
        return list.first?["text"]?.string
    }
}

/// A server that checks each request as the Gemini API would and answers by the prompt text:
/// `blocked` (prompt blocked), `unsafe` (stopped on image safety), `chatty` (text, no image),
/// anything else an inline PNG. Every accepted request's body is kept.
final class GeminiServer: Sendable {
    /// What the server saw.
    final class Seen: Sendable {
        let bodies = Mutex<[JSONValue]>([])
        let count = Mutex(0)
    }
    let server: LoopbackHTTPServer
    let seen = Seen()
    var bodies: [JSONValue] { seen.bodies.withLock { $0 } }

    init(rateLimitFirst: Bool = false) throws {
        let png = ImageFixtures.noisePNG(seed: 3, size: 40).base64EncodedString()
        let seen = self.seen
        server = try LoopbackHTTPServer { request in
            guard request.method == "POST", request.path == GeminiImagesTests.path else {
                return .json(#"{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}"#, status: 404)
            }
            guard request.header("x-goog-api-key") == GeminiImagesTests.key, request.header("Authorization") == nil else {
                return .json(#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#, status: 400)
            }
            let n = seen.count.withLock { $0 += 1; return $0 }
            if rateLimitFirst && n == 1 {
                return .json(#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#, status: 429)
            }
            guard let body = try? JSONValue.read(request.body), let prompt = body["contents"]?.firstText else {
                return .json(#"{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}"#, status: 400)
            }
            seen.bodies.withLock { $0.append(body) }
            switch prompt {
            case "blocked":
                return .json(#"{"promptFeedback":{"blockReason":"SAFETY","blockReasonMessage":"The prompt was blocked."},"modelVersion":"gemini-2.5-flash-image"}"#)
            case "unsafe":
                return .json(#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY","index":0}],"modelVersion":"gemini-2.5-flash-image"}"#)
            case "chatty":
                return .json(#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Here is a description instead."}]},"finishReason":"STOP"}]}"#)
            default:
                return .json(#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Sure."},{"inlineData":{"mimeType":"image/png","data":"\#(png)"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1290},"modelVersion":"gemini-2.5-flash-image"}"#)
            }
        }
    }
}

