import Foundation
import WiseCore
import WiseCrypto
import WiseHTTP
import WiseJudges

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
    public var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/images/generations") ? base : base + "/images/generations"
    }
}

/// The `openai-images` generator: `POST /v1/images/generations` (gpt-image-1 family), base64 replies.
///
/// Retries 408, 409, 429, 5xx, timeouts and dropped connections with backoff, honouring
/// `Retry-After`; other 4xx fail at once with the server's message. The API takes no seed: the
/// seed is recorded but cannot make the image reproducible, and the spec says so.
public final class OpenAIImagesGenerator: Generator {
    public let spec: AdapterSpec
    public let configuration: OpenAIImagesConfiguration
    let transport: HTTPTransport
    let limiter: RateLimiter?

    public init(_ configuration: OpenAIImagesConfiguration, transport: HTTPTransport) throws {
        guard configuration.baseURL.hasPrefix("http://") || configuration.baseURL.hasPrefix("https://") else {
            throw UsageError("--images-base-url \(configuration.baseURL) must start with http:// or https://")
        }
        self.configuration = configuration
        self.transport = transport
        var parameters = ["base_url": HTTPError.redact(configuration.endpoint), "model": configuration.model, "seed": "not supported by the API"]
        if let quality = configuration.quality { parameters["quality"] = quality }
        if let variable = configuration.apiKeyEnv { parameters["api_key_env"] = variable }
        spec = AdapterSpec(adapter: "openai-images", parameters: parameters)
        limiter = configuration.requestsPerMinute.map { RateLimiter(requestsPerMinute: $0, tokensPerMinute: nil) }
    }

    /// The request body for one item.
    func body(for item: GenerationItem) -> Data {
        var object: [String: Any] = ["model": configuration.model, "prompt": item.prompt, "n": 1]
        if let width = item.width, let height = item.height { object["size"] = "\(width)x\(height)" }
        if let quality = configuration.quality { object["quality"] = quality }
        // The dall-e models answer with URLs unless asked; the gpt-image models always send base64 and refuse the field.
        if configuration.model.hasPrefix("dall-e") { object["response_format"] = "b64_json" }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = configuration.apiKey, !key.isEmpty { headers.set("Authorization", "Bearer \(key)") }
        let request = HTTPRequest(method: .post, url: configuration.endpoint, headers: headers, body: body(for: item),
                                  timeout: configuration.timeout, connectTimeout: min(configuration.timeout, 30))
        let start = ContinuousClock.now
        var last = "no attempt made"
        let attempts = max(1, configuration.retry.maxAttempts)
        for attempt in 1...attempts {
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire(tokens: 0) }
            var retryAfter: Double?
            do {
                let response = try await transport.send(request)
                switch response.status {
                case 200..<300:
                    do {
                        let elapsed = ContinuousClock.now - start
                        return try save(response.body, to: item.output,
                                        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    } catch let failure as GenerationFailure {
                        last = failure.reason
                    }
                case 408, 409, 429, 500...599:
                    retryAfter = RetryPolicy.parseRetryAfter(response.header("Retry-After"))
                    last = "HTTP \(response.status): \(Self.errorMessage(response.body))"
                default:
                    throw GenerationFailure(redact("HTTP \(response.status) from \(HTTPError.redact(configuration.endpoint)): \(Self.errorMessage(response.body)); not retried"))
                }
            } catch let error as HTTPError {
                last = error.description
                switch error {
                case .tlsFailed, .invalidURL, .invalidRequest, .responseTooLarge: throw GenerationFailure(redact(last))
                default: break
                }
            }
            if attempt < attempts {
                try await Task.sleep(for: .seconds(configuration.retry.delay(beforeRetry: attempt, retryAfter: retryAfter)))
            }
        }
        throw GenerationFailure(redact("gave up after \(attempts) attempts; last: \(last)"))
    }

    /// Decodes the first image of a reply and writes it atomically to `path`.
    func save(_ body: Data, to path: String, seconds: Double) throws -> GeneratedImage {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let data = object["data"] as? [[String: Any]], let first = data.first else {
            throw GenerationFailure("unusable reply: not a JSON object with a data array: \(excerpt(String(decoding: body.prefix(400), as: UTF8.self)))")
        }
        guard let b64 = first["b64_json"] as? String, let bytes = Data(base64Encoded: b64) else {
            throw GenerationFailure("unusable reply: data[0] has no b64_json image (a URL reply is not fetched)")
        }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try writeAtomically(bytes, to: url) } catch {
            throw GenerationFailure("cannot write \(path): \(error.localizedDescription)")
        }
        var metadata: [String: Any] = [:]
        if let revised = first["revised_prompt"] as? String { metadata["revised_prompt"] = revised }
        if let usage = object["usage"] { metadata["usage"] = usage }
        for key in ["size", "quality", "output_format"] { if let value = object[key] { metadata[key] = value } }
        let text = metadata.isEmpty ? nil : (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) }
        return try GeneratedImage.inspect(path: path, seconds: seconds, metadata: text, hasher: OpenSSLHasher())
    }

    /// The `error.message` of an OpenAI-style error body, or the body's start.
    static func errorMessage(_ body: Data) -> String {
        if let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return excerpt(message)
        }
        return body.isEmpty ? "no message" : excerpt(String(decoding: body.prefix(200), as: UTF8.self))
    }

    /// Removes the API key from any text that may be stored or shown.
    func redact(_ text: String) -> String {
        guard let key = configuration.apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "***")
    }
}
