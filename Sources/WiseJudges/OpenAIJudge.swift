import Foundation
import WiseCore
import WiseHTTP

/// How to reach and ask an OpenAI-compatible chat-completions API (OpenAI, vLLM, SGLang, Ollama, …).
public struct OpenAIJudgeConfiguration: Sendable {
    /// The API root, such as `https://api.openai.com/v1` or `http://localhost:8000/v1`.
    public var baseURL: String
    public var options: ChatRequestOptions
    public var rubric: Rubric
    /// The key sent as a bearer token; read from the environment, never recorded.
    public var apiKey: String?
    /// Seconds allowed for one request.
    public var timeout: Double = 120
    public var retry = RetryPolicy()
    /// How many times to ask again when a reply holds no readable score, before recording it unscored.
    public var parseAttempts = 3
    public var requestsPerMinute: Double?
    public var tokensPerMinute: Double?

    public init(baseURL: String, options: ChatRequestOptions, rubric: Rubric, apiKey: String?) {
        self.baseURL = baseURL; self.options = options; self.rubric = rubric; self.apiKey = apiKey
    }

    /// The chat-completions endpoint under the base URL.
    public var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/chat/completions") ? base : base + "/chat/completions"
    }
}

/// The `openai` judge: asks an OpenAI-compatible API to score an image with a WISE rubric.
///
/// Transient failures (429, 5xx, timeouts, dropped connections, garbled replies) are retried with
/// backoff; other 4xx fail at once with the server's message. A reply without a readable score
/// is asked again up to `parseAttempts` times, then recorded as unscored with every reply.
public final class OpenAIJudge: Judge {
    public let spec: AdapterSpec
    public let configuration: OpenAIJudgeConfiguration
    let transport: HTTPTransport
    let limiter: RateLimiter?

    public init(_ configuration: OpenAIJudgeConfiguration, transport: HTTPTransport) throws {
        try configuration.options.validate()
        self.configuration = configuration
        self.transport = transport
        // The recorded URL drops user info and query, where keys sometimes travel.
        var parameters = [
            "base_url": HTTPError.redact(configuration.endpoint),
            "model": configuration.options.model,
            "temperature": "\(configuration.options.temperature)",
            "protocol": configuration.rubric.scoringProtocol.rawValue,
            "rubric_sha256": configuration.rubric.sha256,
        ]
        if let maxTokens = configuration.options.maxTokens { parameters["max_tokens"] = "\(maxTokens)" }
        if let seed = configuration.options.seed { parameters["seed"] = "\(seed)" }
        if let extra = configuration.options.extraBody { parameters["extra_body"] = extra }
        spec = AdapterSpec(adapter: "openai", parameters: parameters)
        limiter = configuration.requestsPerMinute == nil && configuration.tokensPerMinute == nil ? nil
            : RateLimiter(requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute)
    }

    public func judge(_ request: JudgeRequest) async throws -> Verdict {
        let body = try ChatCompletion.requestBody(rubric: configuration.rubric, prompt: request.prompt, image: request.image,
                                                  format: request.format, options: configuration.options)
        let estimate = Self.estimateTokens(bodyBytes: body.count, imageBytes: request.image.count, maxTokens: configuration.options.maxTokens)
        var evidence = Evidence()
        var lastReason = ""
        for _ in 0..<max(1, configuration.parseAttempts) {
            let reply: ChatReply
            do {
                reply = try await send(body, estimate: estimate)
            } catch var failure as JudgeFailure {
                failure.usage = failure.usage + evidence.usage
                throw failure
            }
            evidence.usage = evidence.usage + reply.usage
            evidence.replies.append(reply.content)
            evidence.servedModel = reply.model ?? evidence.servedModel
            evidence.systemFingerprint = reply.systemFingerprint ?? evidence.systemFingerprint
            switch ReplyParser.parse(reply.content, scoringProtocol: configuration.rubric.scoringProtocol) {
            case .scores(let scores):
                return .scored(scores, evidence: evidence)
            case .unreadable(let reason):
                lastReason = reason
            }
        }
        let count = evidence.replies.count
        return .unscored(reason: "no readable score in \(count) \(count == 1 ? "reply" : "replies"): \(lastReason)", evidence: evidence)
    }

    /// Sends one chat request, retrying transient failures; returns the reply or throws JudgeFailure.
    func send(_ body: Data, estimate: Int) async throws -> ChatReply {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = configuration.apiKey, !key.isEmpty { headers.set("Authorization", "Bearer \(key)") }
        let request = HTTPRequest(method: .post, url: configuration.endpoint, headers: headers, body: body,
                                  timeout: configuration.timeout, connectTimeout: min(configuration.timeout, 30))
        var lastFailure = JudgeFailure(reason: "no attempt made")
        let attempts = max(1, configuration.retry.maxAttempts)
        for attempt in 1...attempts {
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire(tokens: estimate) }
            var retryAfter: Double?
            do {
                let response = try await transport.send(request)
                switch response.status {
                case 200..<300:
                    do {
                        let reply = try ChatCompletion.parseResponse(response.body)
                        await limiter?.settle(estimated: estimate, actual: reply.usage.input + reply.usage.output)
                        return reply
                    } catch {
                        lastFailure = JudgeFailure(reason: redact("unusable reply (HTTP \(response.status)): \(error)"), status: response.status)
                    }
                case 408, 409, 429, 500...599:
                    retryAfter = RetryPolicy.parseRetryAfter(response.header("Retry-After"))
                    lastFailure = JudgeFailure(reason: redact("HTTP \(response.status): \(ChatCompletion.errorMessage(from: response.body) ?? "no message")"),
                                               status: response.status)
                default:
                    throw JudgeFailure(reason: redact("HTTP \(response.status) from \(HTTPError.redact(configuration.endpoint)): \(ChatCompletion.errorMessage(from: response.body) ?? "no message"); not retried"),
                                       status: response.status)
                }
            } catch let error as HTTPError {
                lastFailure = JudgeFailure(reason: redact(error.description))
                if case .tlsFailed = error { throw lastFailure }
                if case .invalidURL = error { throw lastFailure }
                if case .invalidRequest = error { throw lastFailure }
                if case .responseTooLarge = error { throw lastFailure }
            }
            if attempt < attempts {
                try await Task.sleep(for: .seconds(configuration.retry.delay(beforeRetry: attempt, retryAfter: retryAfter)))
            }
        }
        lastFailure.reason = "gave up after \(attempts) attempts; last: \(lastFailure.reason)"
        throw lastFailure
    }

    /// Removes the API key from any text that may be stored or shown.
    func redact(_ text: String) -> String {
        guard let key = configuration.apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "***")
    }

    /// A rough token estimate for rate limiting and dry runs: text at ~4 bytes a token, an image at
    /// the cost of a high-detail 1024×1024 image (765 tokens), plus the reply allowance.
    public static func estimateTokens(bodyBytes: Int, imageBytes: Int, maxTokens: Int?) -> Int {
        let base64 = (imageBytes + 2) / 3 * 4
        return max(0, bodyBytes - base64) / 4 + 765 + min(maxTokens ?? 64, 64)
    }
}
