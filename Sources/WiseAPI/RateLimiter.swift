import Foundation

/// Keeps requests and tokens under per-minute limits with two token buckets.
///
/// Each bucket holds at most one minute's allowance and refills continuously; a caller that
/// finds too little waits until enough has refilled. Token use is reserved from an estimate
/// before a request and corrected with the real count after it.
public actor RateLimiter {
    let requestsPerMinute: Double?
    let tokensPerMinute: Double?
    var requestBudget: Double
    var tokenBudget: Double
    var last = ContinuousClock.now

    public init(requestsPerMinute: Double?, tokensPerMinute: Double?) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        // Start with one second's allowance so a burst at start-up stays within the limit.
        requestBudget = (requestsPerMinute ?? 0) / 60
        tokenBudget = (tokensPerMinute ?? 0) / 60
    }

    /// Waits until one request and `tokens` tokens may be spent, then spends them.
    public func acquire(tokens: Int) async throws {
        while true {
            refill()
            let needRequests = requestsPerMinute == nil ? 0 : max(0, 1 - requestBudget)
            let wantTokens = tokensPerMinute.map { min(Double(tokens), $0) } ?? 0
            let needTokens = tokensPerMinute == nil ? 0 : max(0, wantTokens - tokenBudget)
            if needRequests == 0 && needTokens == 0 {
                if requestsPerMinute != nil { requestBudget -= 1 }
                if tokensPerMinute != nil { tokenBudget -= Double(tokens) }
                return
            }
            let wait = max(needRequests / ((requestsPerMinute ?? 1) / 60), needTokens / ((tokensPerMinute ?? 1) / 60))
            try await Task.sleep(for: .seconds(max(wait, 0.001)))
        }
    }

    /// Corrects the token bucket once the real token count of a request is known.
    public func settle(estimated: Int, actual: Int) {
        guard tokensPerMinute != nil else { return }
        tokenBudget += Double(estimated - actual)
    }

    private func refill() {
        let now = ContinuousClock.now
        let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
        last = now
        if let rpm = requestsPerMinute { requestBudget = min(rpm, requestBudget + elapsed * rpm / 60) }
        if let tpm = tokensPerMinute { tokenBudget = min(tpm, tokenBudget + elapsed * tpm / 60) }
    }
}
