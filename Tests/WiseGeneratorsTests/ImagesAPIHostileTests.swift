import Foundation
import Synchronization
import Testing
import WiseCore
import WiseHTTP
import TestSupport
@testable import WiseGenerators

/// The images API adapter against hostile servers: the key and its prefixes never kept, a POST
/// never followed, bytes checked before they get the final name, unreadable base64 named.
@Suite struct ImagesAPIHostileTests {
    static let key = "sk-img-0123456789abcdef"

    func generator(_ server: LoopbackHTTPServer, attempts: Int = 2) throws -> OpenAIImagesGenerator {
        var configuration = OpenAIImagesConfiguration()
        configuration.baseURL = server.baseURL + "/v1"
        configuration.apiKey = Self.key
        configuration.retry = .init(maxAttempts: attempts, baseDelay: 0.001, maxDelay: 0.01)
        return try OpenAIImagesGenerator(configuration, transport: HTTPTransport())
    }

    func item(_ out: URL) -> GenerationItem {
        let prompt = Prompt(set: .legacy, id: 7, category: .culture, categoryLabel: "c", subcategory: "s", domain: "d", text: "a cube", explanation: "e")
        return GenerationItem(prompt: prompt, sampleIndex: 0, seed: 7, output: out.path, settings: GenerationSettings())
    }

    @Test func echoesOfTheKeyInRevisedPromptAndUsageAreRedacted() async throws {
        // Given a reply whose revised_prompt and usage echo the key and an 8-character prefix of it
        let png = ImageFixtures.png(seed: 4).base64EncodedString()
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"data":[{"b64_json":"\#(png)","revised_prompt":"made for sk-img-0123456789abcdef"}],"usage":{"note":"billed to sk-img-01…"}}"#)
        }
        defer { server.stop() }
        // When generated / Then the image is kept and neither the key nor its prefix is in what is recorded
        let image = try await generator(server).generate(item(try TempDirectory.make("echo").appendingPathComponent("7.png")))
        let metadata = try #require(image.metadata)
        #expect(!metadata.contains("sk-img-0") && metadata.contains("made for ***"))
    }

    @Test func aRedirectedPostIsNeverFollowedAndStopsTheRun() async throws {
        // Given a server that redirects the POST to another server
        let other = try LoopbackHTTPServer { _ in .text("stolen") }
        defer { other.stop() }
        let server = try LoopbackHTTPServer { _ in .respond(status: 307, headers: [("Location", other.baseURL + "/v1/images/generations")]) }
        defer { server.stop() }
        // When generating / Then the other server saw nothing, and the failure stops the run as a usage error
        let error = await #expect(throws: GenerationFailure.self) {
            _ = try await generator(server).generate(item(try TempDirectory.make("redirect").appendingPathComponent("7.png")))
        }
        #expect(other.requestCount == 0 && server.requestCount == 1)
        #expect(error?.stop?.kind == .usage && error?.stop?.message.contains("--images-base-url") == true)
    }

    @Test func badBytesNeverTakeTheFinalNameAndAnEarlierImageSurvives() async throws {
        // Given an output path that already holds an image, and a server whose "image" is not one
        let out = try TempDirectory.make("aside").appendingPathComponent("7.png")
        let earlier = ImageFixtures.png(seed: 9)
        try earlier.write(to: out)
        let junk = Data("this is not a PNG at all".utf8).base64EncodedString()
        let server = try LoopbackHTTPServer { _ in .json(#"{"data":[{"b64_json":"\#(junk)"}]}"#) }
        defer { server.stop() }
        // When generating / Then it fails saying the bytes are no image, the earlier file is intact, no part file is left
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator(server).generate(item(out)) }
        #expect(error?.reason.contains("not a PNG, JPEG or WebP image") == true, "\(String(describing: error))")
        #expect(try Data(contentsOf: out) == earlier)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path) == ["7.png"])
    }

    @Test(arguments: ["!!!!", "aGVsbG8=@@", "not base64 at all", ""])
    func unreadableBase64IsNamed(_ text: String) async throws {
        // Given a reply whose b64_json is not base64
        let server = try LoopbackHTTPServer { _ in .json(#"{"data":[{"b64_json":"\#(text)"}]}"#) }
        defer { server.stop() }
        // When generating / Then the failure says so (after the retries), and no file is written
        let out = try TempDirectory.make("b64").appendingPathComponent("7.png")
        let error = await #expect(throws: GenerationFailure.self) { _ = try await generator(server).generate(item(out)) }
        #expect(error?.reason.contains("not valid base64") == true, "\(String(describing: error))")
        #expect(server.requestCount == 2 && !FileManager.default.fileExists(atPath: out.path))
    }

    @Test func aURLReplyIsRecordedAtOnceNotFetched() async throws {
        // Given a dall-e style reply with a URL instead of bytes
        let server = try LoopbackHTTPServer { _ in .json(#"{"data":[{"url":"http://127.0.0.1:9/x.png"}]}"#) }
        defer { server.stop() }
        let error = await #expect(throws: GenerationFailure.self) {
            _ = try await generator(server).generate(item(try TempDirectory.make("url").appendingPathComponent("7.png")))
        }
        #expect(server.requestCount == 1 && error?.reason.contains("no b64_json image") == true && error?.stop == nil)
    }
}
