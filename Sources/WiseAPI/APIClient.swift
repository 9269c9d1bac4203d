import Foundation
import WiseCore
import WiseHTTP

/// How one client reaches one service: who it is, its key, and its limits.
public struct APIClientConfiguration: Sendable {
    public var service: APIService
    /// The key, sent as a bearer token and redacted from every text the client hands back.
    public var apiKey: String?
    public var retry = RetryPolicy()
    public var requestsPerMinute: Double?
    public var tokensPerMinute: Double?
    /// Seconds allowed for one request; connecting gets at most 30 of them.
    public var timeout: Double = 120
    /// The largest reply body read; anything past this is refused before parsing.
    public var maxReplyBytes = 8 << 20
    /// The header the key travels in: nil for `Authorization: Bearer KEY` (OpenAI and most
    /// servers), or a header of its own such as Google's `x-goog-api-key`.
    public var keyHeader: String?

    public init(service: APIService, apiKey: String? = nil) {
        self.service = service; self.apiKey = apiKey
    }
}

/// An endpoint under an API root: `https://api.openai.com/v1` + `chat/completions`, whether or not
/// the root already ends in the path or a slash.
public func endpoint(_ baseURL: String, _ path: String) -> String {
    var base = baseURL
    while base.hasSuffix("/") { base.removeLast() }
    return base.hasSuffix("/" + path) ? base : base + "/" + path
}

/// The one client for every remote call wise makes (the LLM judge, image APIs, model downloads).
///
/// It owns what every caller needs and none should re-implement: retries with exponential backoff
/// and jitter honouring `Retry-After` (408, 409, 429, 5xx, timeouts, dropped connections, replies
/// the caller cannot read), per-minute request and token limits, the redirect policy (a POST never
/// follows a redirect; a GET follows up to 10 and drops the key when the host changes), a cap on
/// reply sizes, redaction of the key and its prefixes from every text it hands back, and one
/// classification of failures: retry, record for this item (`APIFailure`), or stop the run
/// (`APIFailure.stop`). Adapters describe requests and read replies; they do not loop.
public final class APIClient: Sendable {
    public let configuration: APIClientConfiguration
    public let transport: HTTPTransport
    /// Trips when no request has ever reached the server.
    public let breaker = ReachabilityBreaker()
    /// Removes the key from texts.
    public let redact: Redactor
    let limiter: RateLimiter?

    public init(transport: HTTPTransport, configuration: APIClientConfiguration) {
        self.transport = transport
        self.configuration = configuration
        redact = Redactor(secret: configuration.apiKey)
        limiter = configuration.requestsPerMinute == nil && configuration.tokensPerMinute == nil ? nil
            : RateLimiter(requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute)
    }

    /// The headers every request carries: JSON, and the key as a bearer token.
    public func headers(json: Bool = true) -> HTTPHeaders {
        var headers: HTTPHeaders = json ? ["Content-Type": "application/json", "Accept": "application/json"] : [:]
        if let key = configuration.apiKey, !key.isEmpty {
            if let name = configuration.keyHeader { headers.set(name, key) } else { headers.set("Authorization", "Bearer \(key)") }
        }
        return headers
    }

    /// POSTs a JSON body and reads the reply, retrying what retrying can fix; never follows a redirect.
    ///
    /// `read` gets every reply that is not retried by status: it returns the value, throws
    /// `APIFailure` to record (or stop) at once, or throws anything else for a reply it cannot
    /// use, which is asked again. `tokens` reserves an estimate against `--tpm`; `used` corrects it.
    public func post<Reply: Sendable>(_ url: String, body: Data, estimatedTokens: Int = 0,
                                      used: ((Reply) -> Int)? = nil,
                                      read: (HTTPResponse) throws -> Reply) async throws -> Reply {
        let request = HTTPRequest(method: .post, url: url, headers: headers(), body: body,
                                  timeout: configuration.timeout, connectTimeout: min(configuration.timeout, 30),
                                  followRedirects: false, maxResponseBytes: configuration.maxReplyBytes)
        return try await send(request, estimatedTokens: estimatedTokens, used: used, read: read)
    }

    /// Sends a request with the client's policy (see the type); GETs and HEADs follow redirects here, by hand.
    public func send<Reply: Sendable>(_ request: HTTPRequest, estimatedTokens: Int = 0, used: ((Reply) -> Int)? = nil,
                                      read: (HTTPResponse) throws -> Reply) async throws -> Reply {
        var request = request
        // Redirects are followed here, never by libcurl: it would replay a POST answered 301/302/303
        // as a GET, and could carry the key to another host.
        let follow = request.followRedirects && request.method != .post
        request.followRedirects = false
        if request.maxResponseBytes == nil { request.maxResponseBytes = configuration.maxReplyBytes }
        let attempts = max(1, configuration.retry.maxAttempts)
        var last = APIFailure(reason: "no attempt made")
        for attempt in 1...attempts {
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire(tokens: estimatedTokens) }
            var retryAfter: Double?
            do {
                let response = try await exchange(request, follow: follow)
                breaker.answered()
                switch response.status {
                case 408, 409, 429, 500...599:
                    retryAfter = RetryPolicy.parseRetryAfter(response.header("Retry-After"))
                    last = APIFailure(reason: "HTTP \(response.status): \(errorMessage(response.body))", status: response.status)
                default:
                    do {
                        let reply = try read(response)
                        if let used, let limiter { await limiter.settle(estimated: estimatedTokens, actual: used(reply)) }
                        return reply
                    } catch let failure as APIFailure {
                        throw APIFailure(reason: redact(failure.reason), status: failure.status ?? response.status, stop: failure.stop,
                                         refusal: failure.refusal.map { redact($0) })
                    } catch {
                        last = APIFailure(reason: redact("unusable reply (HTTP \(response.status)): \(error)"), status: response.status)
                    }
                }
            } catch let error as HTTPError {
                last = APIFailure(reason: redact(error.description))
                if let stop = FailureClassifier.stop(error, service: configuration.service) { last.stop = stop; throw last }
                if let stop = breaker.connectionFailed(error, service: configuration.service) { last.stop = stop; throw last }
                switch error {
                case .invalidRequest, .responseTooLarge: throw last
                default: break
                }
            }
            if attempt < attempts {
                try await Task.sleep(for: .seconds(configuration.retry.delay(beforeRetry: attempt, retryAfter: retryAfter)))
            }
        }
        last.reason = "gave up after \(attempts) attempts; last: \(last.reason)"
        throw last
    }

    /// The most redirects a GET follows.
    public static let maxRedirects = 10

    /// One exchange: as it is, or (`follow`) through its redirects, dropping the key when the host changes.
    func exchange(_ request: HTTPRequest, follow: Bool) async throws -> HTTPResponse {
        var current = request
        for _ in 0...Self.maxRedirects {
            let response = try await transport.send(current)
            guard follow, (300..<400).contains(response.status), response.status != 304,
                  let location = response.header("Location"), let next = Self.resolve(location, against: current.url) else {
                return response
            }
            if Self.origin(of: next) != Self.origin(of: current.url) {
                // Another scheme, host or port: the key was given for this server only.
                current.headers.remove("Authorization")
                current.headers.remove("Cookie")
                if let name = configuration.keyHeader { current.headers.remove(name) }
            }
            current.url = next
        }
        throw HTTPError.invalidRequest(url: HTTPError.redact(request.url), reason: "more than \(Self.maxRedirects) redirects")
    }

    /// A failure to record for a reply whose status no retry changes: stopping for 401, 403, 404
    /// and redirects (see `FailureClassifier`), per item for the rest.
    public func failure(for response: HTTPResponse, endpoint: String) -> APIFailure {
        let message = errorMessage(response.body)
        let stop = FailureClassifier.stop(status: response.status, message: message, endpoint: HTTPError.redact(endpoint),
                                          location: response.header("Location").map { redact($0) }, service: configuration.service)
        let refusal = (400..<500).contains(response.status) && ErrorBody.isContentPolicyRefusal(response.body) ? message : nil
        return APIFailure(reason: "HTTP \(response.status) from \(HTTPError.redact(endpoint)): \(message); not retried",
                          status: response.status, stop: stop, refusal: refusal)
    }

    /// The message of an error reply, on one line and redacted.
    public func errorMessage(_ body: Data) -> String {
        redact(ErrorBody.message(from: body) ?? "no message")
    }

    /// `location` made absolute against `base`; nil when it is not an http(s) URL.
    static func resolve(_ location: String, against base: String) -> String? {
        guard let url = URL(string: location, relativeTo: URL(string: base))?.absoluteURL,
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else { return nil }
        return url.absoluteString
    }

    /// Scheme, host and port: what a key is given for.
    static func origin(of url: String) -> String {
        guard let url = URL(string: url) else { return url }
        let scheme = url.scheme?.lowercased() ?? ""
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(url.port ?? (scheme == "https" ? 443 : 80))"
    }
}
