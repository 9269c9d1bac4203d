import Foundation
import Synchronization
import WiseCore
import WiseHTTP

/// Why a remote call produced no usable reply, after the client's retries, classified once for
/// every caller: record it for this item, or stop the whole run (`stop` set).
///
/// Every text here has the key and its prefixes removed.
public struct APIFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line: what the server or the connection did.
    public var reason: String
    /// The HTTP status of the last attempt, if one came back.
    public var status: Int?
    /// Set when retrying cannot help any item (refused key, unknown model or path, a redirected
    /// POST, an untrusted certificate, nothing listening): the run should stop with this error.
    public var stop: OutcomeError?
    /// Set when the server declined the request on its content policy (the prompt or the image it
    /// would make), in the server's words: a refusal, which reports count apart from failures.
    public var refusal: String?

    public init(reason: String, status: Int? = nil, stop: OutcomeError? = nil, refusal: String? = nil) {
        self.reason = reason; self.status = status; self.stop = stop; self.refusal = refusal
    }
    public var description: String { reason }
}

/// A reply that arrived but cannot be used (not the expected JSON, no image in it); the client
/// asks again, and records it once the attempts are spent.
public struct APIReplyError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Who a client talks to and which options reach it, so that every failure message names the
/// thing to fix: `the judge` / `--base-url` / `--api-key-env` / `--model`.
public struct APIService: Sendable, Equatable {
    /// The service as a sentence names it: "the judge", "the images API".
    public var name: String
    /// The option that sets its URL.
    public var urlOption: String
    /// The option that names the key's environment variable.
    public var keyOption: String
    /// The option that names the model, if any.
    public var modelOption: String?

    public init(name: String, urlOption: String, keyOption: String, modelOption: String?) {
        self.name = name; self.urlOption = urlOption; self.keyOption = keyOption; self.modelOption = modelOption
    }
}

/// Decides which failures retrying cannot fix, and words them with the next step.
///
/// A stopping failure ends the whole run at once (every other item would fail the same way and
/// cost hours of backoff).
public enum FailureClassifier {
    /// The stopping error for an HTTP status that no retry can change, or nil for one worth retrying or per-item.
    public static func stop(status: Int, message: String, endpoint: String, location: String?, service: APIService) -> OutcomeError? {
        let refused = OutcomeError("\(service.name) at \(endpoint) refused the credentials (HTTP \(status) \(message)); check that \(service.keyOption) names a variable holding a valid key for this server", kind: .permission)
        switch status {
        case 401, 403:
            return refused
        case 400 where message.contains("API key not valid"):
            // Google's APIs answer a wrong key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID).
            return refused
        case 404:
            let model = service.modelOption.map { "\($0) names a model this server serves and that " } ?? ""
            return OutcomeError("\(service.name) at \(endpoint) answered HTTP 404 (\(message)); check that \(model)\(service.urlOption) is the API root (often ending in /v1)", kind: .usage)
        case 301, 302, 303, 307, 308:
            let target = location.map { " to \(HTTPError.redact($0))" } ?? ""
            return OutcomeError("\(service.name) at \(endpoint) redirected the request (HTTP \(status)\(target)); wise never replays a POST elsewhere: pass the final URL as \(service.urlOption)", kind: .usage)
        default:
            return nil
        }
    }

    /// The stopping error for a transport error that no retry can change, or nil.
    public static func stop(_ error: HTTPError, service: APIService) -> OutcomeError? {
        switch error {
        case .tlsFailed(let url, let reason):
            return OutcomeError("TLS failure talking to \(url): \(reason); if the server's certificate comes from a private CA, pass --ca-cert FILE (or set SSL_CERT_FILE or CURL_CA_BUNDLE to that CA's PEM file)", kind: .unavailable)
        case .invalidURL(let url, let reason):
            return OutcomeError("invalid \(service.urlOption) \(url): \(reason)", kind: .usage)
        default:
            return nil
        }
    }
}

/// The circuit breaker of one client: trips when no request has ever reached the server.
public final class ReachabilityBreaker: Sendable {
    /// Seconds after the first connection failure, with no answer ever received, before the breaker trips.
    public let window: Double
    /// Connection failures, with no answer ever received, after which the breaker trips at once.
    public let threshold: Int

    struct State {
        var answered = false
        var firstFailure: ContinuousClock.Instant?
        var failures = 0
    }
    private let state = Mutex(State())

    public init(window: Double = 10, threshold: Int = 24) {
        self.window = window; self.threshold = threshold
    }

    /// Notes that the server answered (any HTTP status): the breaker never trips after that.
    func answered() { state.withLock { $0.answered = true } }

    /// Notes a failed connection; returns the stopping error when every request so far has failed
    /// to connect, for `threshold` requests or `window` seconds.
    func connectionFailed(_ error: HTTPError, service: APIService) -> OutcomeError? {
        // Only a connection never made counts (refused, unreachable, no such host): a reset or a
        // reply cut short means something is listening, and is retried as usual.
        guard case .connectionFailed(_, let reason) = error else { return nil }
        let lowered = reason.lowercased()
        guard ["refused", "couldn't connect", "could not connect", "failed to connect", "resolve", "unreachable"].contains(where: lowered.contains) else { return nil }
        return state.withLock { state in
            guard !state.answered else { return nil }
            let now = ContinuousClock.now
            let first = state.firstFailure ?? now
            state.firstFailure = first
            state.failures += 1
            let seconds = (now - first).seconds
            guard state.failures >= threshold || (state.failures >= 2 && seconds >= window) else { return nil }
            return OutcomeError("cannot reach \(service.name): \(state.failures) attempts over \(String(format: "%.1f", seconds)) s all failed (\(error)) and none got an answer; start the server or fix \(service.urlOption), then run the same command again", kind: .unavailable)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
