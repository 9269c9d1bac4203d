import Foundation
import WiseAPI
import WiseCore
import WiseHTTP

/// How to reach the OpenAI images API (or a compatible server).
public struct OpenAIImagesConfiguration: Sendable {
    /// The API root, such as `https://api.openai.com/v1`.
    public var baseURL = "https://api.openai.com/v1"
    public var model = "gpt-image-1"
    /// `low`, `medium`, `high` or `auto`; nil leaves it to the API.
    public var quality: String?
    /// The key sent as a bearer token; read from the environment, never recorded.
    public var apiKey: String?
    /// The environment variable the key came from (recorded instead of the key).
    public var apiKeyEnv: String?
    public var timeout: Double = 300
    public var retry = RetryPolicy()
    public var requestsPerMinute: Double?

    public init() {}

    /// The generations endpoint under the base URL.
    public var endpoint: String { WiseAPI.endpoint(baseURL, "images/generations") }
}

/// The `openai-images` generator: `POST /v1/images/generations` (gpt-image-1 family), base64 replies.
///
/// Requests go through the one `APIClient` (retries, Retry-After, limits, no redirect for a POST,
/// reply cap, key redaction, and a refused key or wrong URL stopping the run). The API takes no
/// seed: the seed is recorded but cannot make the image reproducible, and the spec says so.
public final class OpenAIImagesGenerator: Generator {
    public let spec: AdapterSpec
    public let configuration: OpenAIImagesConfiguration
    let client: APIClient
    /// The service as failure messages name it.
    public static let service = APIService(name: "the images API", urlOption: "--images-base-url", keyOption: "--images-api-key-env", modelOption: nil)

    public init(_ configuration: OpenAIImagesConfiguration, transport: HTTPTransport) throws {
        try ImageAPI.checkBaseURL(configuration.baseURL, option: "--images-base-url")
        self.configuration = configuration
        var parameters = ["base_url": HTTPError.redact(configuration.endpoint), "model": configuration.model, "seed": "not supported by the API"]
        if let quality = configuration.quality { parameters["quality"] = quality }
        if let variable = configuration.apiKeyEnv { parameters["api_key_env"] = variable }
        spec = AdapterSpec(adapter: "openai-images", parameters: parameters)
        client = ImageAPI.client(Self.service, apiKey: configuration.apiKey, retry: configuration.retry,
                                 requestsPerMinute: configuration.requestsPerMinute, timeout: configuration.timeout, transport: transport)
    }

    /// The request body of one item.
    struct Body: Encodable {
        var model: String
        var prompt: String
        var n = 1
        var size: String?
        var quality: String?
        // The dall-e models answer with URLs unless asked; the gpt-image models always send base64 and refuse the field.
        var response_format: String?
    }

    /// The request body for one item.
    func body(for item: GenerationItem) -> Data {
        var body = Body(model: configuration.model, prompt: item.prompt, quality: configuration.quality)
        if let width = item.width, let height = item.height { body.size = "\(width)x\(height)" }
        if configuration.model.hasPrefix("dall-e") { body.response_format = "b64_json" }
        return Data(WiseJSON.encode(body).utf8)
    }

    /// The parts of a reply wise reads; everything else is ignored.
    struct Reply: Decodable {
        struct Image: Decodable {
            var b64_json: String?
            var revised_prompt: String?
        }
        var data: [Image]?
        var usage: JSONValue?
        var size: JSONValue?
        var quality: JSONValue?
        var output_format: JSONValue?
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        try await ImageAPI.request(client, configuration.endpoint, body: body(for: item)) { body, seconds in
            try self.save(body, to: item.output, seconds: seconds)
        }
    }

    /// Decodes the first image of a reply, checks it aside and only then gives it the item's name.
    ///
    /// A reply that cannot be used throws `APIReplyError` (asked again); one that can never be
    /// used here (a URL instead of bytes) throws an `APIFailure` to record at once.
    func save(_ body: Data, to path: String, seconds: Double) throws -> GeneratedImage {
        guard let reply = try? JSONDecoder().decode(Reply.self, from: body), let first = reply.data?.first else {
            throw APIReplyError("not a JSON object with a data array: \(client.redact(excerpt(String(decoding: body.prefix(400), as: UTF8.self))))")
        }
        guard let b64 = first.b64_json else {
            throw APIFailure(reason: "unusable reply: data[0] has no b64_json image (a URL reply is not fetched)")
        }
        return try ImageAPI.save(base64: b64, field: "data[0].b64_json", to: path, seconds: seconds, metadata: metadata(of: reply, first))
    }

    /// What the reply says about the image besides its bytes, redacted, as a JSON object text.
    func metadata(of reply: Reply, _ first: Reply.Image) -> String? {
        var fields: [(String, JSONValue)] = []
        if let revised = first.revised_prompt { fields.append(("revised_prompt", .string(revised))) }
        for (key, value) in [("output_format", reply.output_format), ("quality", reply.quality), ("size", reply.size), ("usage", reply.usage)] {
            if let value { fields.append((key, value)) }
        }
        guard !fields.isEmpty else { return nil }
        return client.redact(JSONValue.object(fields.sorted { $0.0 < $1.0 }).json)
    }

}
