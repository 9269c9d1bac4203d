import Foundation
import WiseAPI
import WiseCore
import WiseHTTP

/// How to reach Google's Gemini API for images (the "Nano Banana" models).
public struct GeminiImagesConfiguration: Sendable {
    /// The API root, such as `https://generativelanguage.googleapis.com/v1beta`.
    public var baseURL = "https://generativelanguage.googleapis.com/v1beta"
    public var model = "gemini-2.5-flash-image"
    /// The aspect ratio asked for (`1:1`, `16:9`, …); nil leaves it to the model.
    public var aspectRatio: String?
    /// `1K`, `2K` or `4K` for the models that take a size (Gemini 3 Pro Image); nil leaves it to the model.
    public var imageSize: String?
    /// The key, sent in the `x-goog-api-key` header; read from the environment, never recorded.
    public var apiKey: String?
    /// The environment variable the key came from (recorded instead of the key).
    public var apiKeyEnv: String?
    public var timeout: Double = 300
    public var retry = RetryPolicy()
    public var requestsPerMinute: Double?

    public init() {}

    /// The generateContent endpoint of the model.
    public var endpoint: String { WiseAPI.endpoint(baseURL, "models/\(model):generateContent") }

    /// The aspect ratios the API accepts.
    public static let aspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]

    /// The aspect ratio of a width and height, when the API accepts it.
    public static func aspectRatio(width: Int, height: Int) -> String? {
        guard width > 0, height > 0 else { return nil }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let divisor = gcd(width, height)
        let ratio = "\(width / divisor):\(height / divisor)"
        return aspectRatios.contains(ratio) ? ratio : nil
    }
}

/// The `gemini-images` generator: `POST models/{model}:generateContent` asking for the IMAGE modality, inline base64 replies.
///
/// Requests go through the one `APIClient` (retries, Retry-After, limits, no redirect for a POST,
/// reply cap, key redaction, a refused key or wrong URL stopping the run). A prompt the API
/// blocks (`promptFeedback.blockReason`) or an answer stopped on safety grounds (`finishReason`
/// `SAFETY`, `IMAGE_SAFETY`, …) is recorded as a refusal, not a failure. The seed is sent; the
/// API does not promise that it makes an image reproducible.
public final class GeminiImagesGenerator: Generator {
    public let spec: AdapterSpec
    public let configuration: GeminiImagesConfiguration
    let client: APIClient
    /// The service as failure messages name it.
    public static let service = APIService(name: "the Gemini API", urlOption: "--gemini-base-url", keyOption: "--gemini-api-key-env", modelOption: nil)
    /// Finish reasons that mean the model declined to answer.
    static let refusalReasons: Set<String> = ["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION",
                                              "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"]

    public init(_ configuration: GeminiImagesConfiguration, transport: HTTPTransport) throws {
        try ImageAPI.checkBaseURL(configuration.baseURL, option: "--gemini-base-url")
        guard !configuration.model.isEmpty, configuration.model.unicodeScalars.allSatisfy({ CharacterSet.urlPathAllowed.contains($0) && $0 != "/" }) else {
            throw UsageError("Gemini model name '\(configuration.model)' cannot be part of a URL; use the name the API lists, e.g. gemini-2.5-flash-image")
        }
        self.configuration = configuration
        var parameters = ["base_url": HTTPError.redact(configuration.baseURL), "model": configuration.model,
                          "seed": "sent; the API does not promise reproducible images"]
        if let ratio = configuration.aspectRatio { parameters["aspect_ratio"] = ratio }
        if let size = configuration.imageSize { parameters["image_size"] = size }
        if let variable = configuration.apiKeyEnv { parameters["api_key_env"] = variable }
        spec = AdapterSpec(adapter: "gemini-images", parameters: parameters)
        client = ImageAPI.client(Self.service, apiKey: configuration.apiKey, keyHeader: "x-goog-api-key", retry: configuration.retry,
                                 requestsPerMinute: configuration.requestsPerMinute, timeout: configuration.timeout, transport: transport)
    }

    /// The request body of one item: the prompt text alone, the image modality, the ratio, size and seed.
    struct Body: Encodable {
        struct Content: Encodable {
            struct Part: Encodable { var text: String }
            var role = "user"
            var parts: [Part]
        }
        struct GenerationConfig: Encodable {
            struct ImageConfig: Encodable {
                var aspectRatio: String?
                var imageSize: String?
            }
            var responseModalities = ["IMAGE"]
            var seed: Int?
            var imageConfig: ImageConfig?
        }
        var contents: [Content]
        var generationConfig: GenerationConfig
    }

    /// The request body for one item.
    func body(for item: GenerationItem) -> Data {
        var config = Body.GenerationConfig(seed: item.seed)
        let ratio = item.width.flatMap { w in item.height.flatMap { h in GeminiImagesConfiguration.aspectRatio(width: w, height: h) } }
            ?? configuration.aspectRatio
        if ratio != nil || configuration.imageSize != nil {
            config.imageConfig = .init(aspectRatio: ratio, imageSize: configuration.imageSize)
        }
        return Data(WiseJSON.encode(Body(contents: [.init(parts: [.init(text: item.prompt)])], generationConfig: config)).utf8)
    }

    /// The parts of a reply wise reads; everything else is ignored.
    struct Reply: Decodable {
        struct Candidate: Decodable {
            struct Content: Decodable {
                struct Part: Decodable {
                    struct Inline: Decodable {
                        var mimeType: String?
                        var data: String?
                    }
                    var text: String?
                    var inlineData: Inline?
                }
                var parts: [Part]?
            }
            var content: Content?
            var finishReason: String?
        }
        struct Feedback: Decodable {
            var blockReason: String?
            var blockReasonMessage: String?
        }
        var candidates: [Candidate]?
        var promptFeedback: Feedback?
        var modelVersion: String?
        var usageMetadata: JSONValue?
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        try await ImageAPI.request(client, configuration.endpoint, body: body(for: item)) { body, seconds in
            try self.save(body, to: item.output, seconds: seconds)
        }
    }

    /// Reads a reply: the first inline image is saved; a blocked prompt or a safety stop is a refusal.
    ///
    /// A reply that cannot be read, or one with text but no image, throws `APIReplyError` (asked
    /// again); a refusal throws an `APIFailure` carrying it, recorded at once.
    func save(_ body: Data, to path: String, seconds: Double) throws -> GeneratedImage {
        guard let reply = try? JSONDecoder().decode(Reply.self, from: body) else {
            throw APIReplyError("not a generateContent reply: \(client.redact(excerpt(String(decoding: body.prefix(400), as: UTF8.self))))")
        }
        if let reason = reply.promptFeedback?.blockReason {
            let said = reply.promptFeedback?.blockReasonMessage.map { ": \(client.redact(excerpt($0)))" } ?? ""
            throw APIFailure(reason: "the API blocked the prompt (blockReason \(reason))\(said)", refusal: "blockReason \(reason)\(said)")
        }
        let candidate = reply.candidates?.first
        let parts = candidate?.content?.parts ?? []
        if let data = parts.lazy.compactMap({ $0.inlineData?.data }).first {
            return try ImageAPI.save(base64: data, field: "candidates[0].content.parts[].inlineData.data", to: path,
                                           seconds: seconds, metadata: metadata(of: reply))
        }
        if let reason = candidate?.finishReason, Self.refusalReasons.contains(reason) {
            throw APIFailure(reason: "the model stopped without an image (finishReason \(reason))", refusal: "finishReason \(reason)")
        }
        let text = parts.compactMap(\.text).joined(separator: " ")
        throw APIReplyError("no image in the reply" + (text.isEmpty ? "" : "; the model wrote: \(client.redact(excerpt(text)))")
                            + (candidate?.finishReason.map { " (finishReason \($0))" } ?? ""))
    }

    /// What the reply says besides the image bytes, redacted, as a JSON object text.
    func metadata(of reply: Reply) -> String? {
        var fields: [(String, JSONValue)] = []
        if let version = reply.modelVersion { fields.append(("model_version", .string(version))) }
        if let reason = reply.candidates?.first?.finishReason { fields.append(("finish_reason", .string(reason))) }
        let text = (reply.candidates?.first?.content?.parts ?? []).compactMap(\.text).joined(separator: " ")
        if !text.isEmpty { fields.append(("text", .string(text))) }
        if let usage = reply.usageMetadata { fields.append(("usage", usage)) }
        guard !fields.isEmpty else { return nil }
        return client.redact(JSONValue.object(fields.sorted { $0.0 < $1.0 }).json)
    }
}
