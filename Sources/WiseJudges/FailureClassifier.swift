import Foundation
import Synchronization
import WiseCore
import WiseHTTP

/// Decides which judge failures retrying cannot fix, and words them with the next step.
///
/// A fatal failure stops the whole pass at once (every other item would fail the same way and
/// cost hours of backoff): a refused key, an unknown model or path, an untrusted certificate,
/// a redirected POST, or a server that no request has reached (`JudgeHealth`'s circuit breaker).
public enum FailureClassifier {
    /// The fatal error for an HTTP status that no retry can change, or nil for one worth retrying or per-item.
    public static func fatal(status: Int, message: String, endpoint: String, location: String?) -> OutcomeError? {
        switch status {
        case 401, 403:
            return OutcomeError("the judge at \(endpoint) refused the credentials (HTTP \(status) \(message)); check that --api-key-env names a variable holding a valid key for this server", kind: .permission)
        case 404:
            return OutcomeError("the judge at \(endpoint) answered HTTP 404 (\(message)); check that --model names a model this server serves and that --base-url is the API root (often ending in /v1)", kind: .usage)
        case 301, 302, 303, 307, 308:
            let target = location.map { " to \(HTTPError.redact($0))" } ?? ""
            return OutcomeError("the judge at \(endpoint) redirected the request (HTTP \(status)\(target)); wise never replays a POST elsewhere: pass the final URL as --base-url", kind: .usage)
        default:
            return nil
        }
    }

    /// The fatal error for a transport error that no retry can change, or nil.
    public static func fatal(_ error: HTTPError) -> OutcomeError? {
        switch error {
        case .tlsFailed(let url, let reason):
            return OutcomeError("TLS failure talking to \(url): \(reason); if the server's certificate comes from a private CA, pass --ca-cert FILE (or set SSL_CERT_FILE or CURL_CA_BUNDLE to that CA's PEM file)", kind: .unavailable)
        case .invalidURL(let url, let reason):
            return OutcomeError("invalid --base-url \(url): \(reason)", kind: .usage)
        default:
            return nil
        }
    }

    /// Whether a reply was cut off by the token limit: `finish_reason: length`, or a `<think>` block never closed.
    public static func wasCutOff(content: String, finishReason: String?) -> Bool {
        if finishReason == "length" { return true }
        guard let open = content.range(of: "<think>", options: .backwards) else { return false }
        return content.range(of: "</think>", range: open.upperBound..<content.endIndex) == nil
    }
}

/// What a judge has seen of its server during a pass: the circuit breaker's state and replies cut off by the token limit.
public final class JudgeHealth: Sendable {
    /// Seconds after the first connection failure, with no answer ever received, before the breaker trips.
    public let window: Double
    /// Connection failures, with no answer ever received, after which the breaker trips at once.
    public let threshold: Int

    struct State {
        var answered = false
        var firstFailure: ContinuousClock.Instant?
        var failures = 0
        var cutOff = 0
    }
    private let state = Mutex(State())

    public init(window: Double = 10, threshold: Int = 24) {
        self.window = window; self.threshold = threshold
    }

    /// Notes that the server answered (any HTTP status): the breaker never trips after that.
    func answered() { state.withLock { $0.answered = true } }

    /// Notes a failed connection; returns the fatal error when every request so far has failed to
    /// connect, for `threshold` requests or `window` seconds.
    func connectionFailed(_ error: HTTPError) -> OutcomeError? {
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
            let elapsed = now - first
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard state.failures >= threshold || (state.failures >= 2 && seconds >= window) else { return nil }
            return OutcomeError("cannot reach the judge: \(state.failures) attempts over \(String(format: "%.1f", seconds)) s all failed (\(error)) and none got an answer; start the server or fix --base-url, then run the same command again", kind: .unavailable)
        }
    }

    /// Notes a reply cut off by the token limit.
    func cutOff() { state.withLock { $0.cutOff += 1 } }

    /// Replies cut off by the token limit so far.
    public var cutOffReplies: Int { state.withLock { $0.cutOff } }
}
