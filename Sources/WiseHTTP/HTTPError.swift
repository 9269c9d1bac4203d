/// Why an HTTP exchange produced no response.
///
/// An HTTP status such as 404 or 500 is not an error: it arrives as an `HTTPResponse`.
/// Every `url` here is redacted (user info dropped, query replaced by `?…`), and no case
/// holds request headers, so descriptions are safe to log even when requests carry keys.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL could not be parsed or is not http/https.
    case invalidURL(url: String, reason: String)
    /// The request cannot be sent as given (for example, a header containing a line break).
    case invalidRequest(url: String, reason: String)
    /// The per-request time limit ran out (connecting, sending or receiving).
    case timedOut(url: String, seconds: Double, reason: String)
    /// No connection could be made (refused, unreachable, DNS) or it broke mid-exchange
    /// (reset, closed early, response cut short).
    case connectionFailed(url: String, reason: String)
    /// The TLS handshake or certificate verification failed.
    case tlsFailed(url: String, reason: String)
    /// The response body exceeded the byte limit, so the transfer was stopped.
    case responseTooLarge(url: String, limit: Int)
    /// Any other libcurl failure, with its code and message.
    case curl(url: String, code: Int, reason: String)
    /// The transport was shut down before the request finished.
    case shutDown(url: String)

    /// The redacted URL the failed request was for.
    public var url: String {
        switch self {
        case .invalidURL(let url, _), .invalidRequest(let url, _), .timedOut(let url, _, _),
            .connectionFailed(let url, _), .tlsFailed(let url, _), .responseTooLarge(let url, _),
            .curl(let url, _, _), .shutDown(let url):
            return url
        }
    }

    /// Whether trying the same request again later may succeed (timeouts, broken connections).
    public var isTransient: Bool {
        switch self {
        case .timedOut, .connectionFailed: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid URL \(url): \(reason)"
        case .invalidRequest(let url, let reason):
            return "request to \(url) cannot be sent: \(reason)"
        case .timedOut(let url, let seconds, let reason):
            return "request to \(url) timed out after \(Self.format(seconds)) s (\(reason))"
        case .connectionFailed(let url, let reason):
            return "connection to \(url) failed: \(reason)"
        case .tlsFailed(let url, let reason):
            return "TLS failure talking to \(url): \(reason)"
        case .responseTooLarge(let url, let limit):
            return "response from \(url) is larger than the limit of \(limit) bytes; transfer stopped"
        case .curl(let url, let code, let reason):
            return "request to \(url) failed: \(reason) (curl error \(code))"
        case .shutDown(let url):
            return "request to \(url) did not finish: the HTTP transport was shut down"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    /// `url` without user info, query or fragment, which may hold credentials.
    ///
    /// A dropped query shows as `?…` so the reader knows one was there.
    public static func redact(_ url: String) -> String {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var hadQuery = false
        if let question = rest.firstIndex(of: "?") {
            rest = rest[..<question]
            hadQuery = true
        }
        var result = String(rest)
        if let schemeEnd = result.range(of: "://") {
            let authorityStart = schemeEnd.upperBound
            let authorityEnd = result[authorityStart...].firstIndex(of: "/") ?? result.endIndex
            if let at = result[authorityStart..<authorityEnd].lastIndex(of: "@") {
                result.removeSubrange(authorityStart...at)
            }
        }
        return hadQuery ? result + "?…" : result
    }
}
