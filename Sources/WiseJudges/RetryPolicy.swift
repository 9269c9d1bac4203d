import Foundation

/// When and how long to wait before trying a request again: exponential backoff with full jitter,
/// or the server's `Retry-After` when it sends one.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The backoff cap of the first retry, in seconds; it doubles with each retry.
    public var baseDelay: Double
    /// No wait is longer than this, `Retry-After` included.
    public var maxDelay: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.5, maxDelay: Double = 60) {
        self.maxAttempts = maxAttempts; self.baseDelay = baseDelay; self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1 for the first retry), honouring a server's Retry-After.
    public func delay(beforeRetry retry: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxDelay) }
        let cap = min(maxDelay, baseDelay * pow(2, Double(retry - 1)))
        return Double.random(in: 0...max(cap, 0))
    }

    /// Reads a `Retry-After` header: delta seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSince(now)) }
    }
}
