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
        let ceiling = maxDelay.isFinite ? max(maxDelay, 0) : 60
        if let retryAfter, retryAfter.isFinite { return min(max(retryAfter, 0), ceiling) }
        let cap = min(ceiling, baseDelay.isFinite ? max(baseDelay, 0) * pow(2, Double(min(max(retry, 1), 64) - 1)) : 0)
        return Double.random(in: 0...cap)
    }

    /// Reads a `Retry-After` header per RFC 9110 §10.2.3: delay-seconds (digits only) or an
    /// HTTP-date (IMF-fixdate, the obsolete RFC 850 form or asctime). Anything else, such as
    /// "soon", "-5", "1e9" or "NaN", is ignored (nil) and ordinary backoff applies; callers cap the wait.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.utf8.count <= 64 else { return nil }
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // More than ten digits is more than three centuries: a cap, not an overflow.
            return value.utf8.count > 10 ? Double(9_999_999_999) : Double(value)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
