import Foundation
import Testing
import WiseCore
import WiseHTTP
@testable import WiseJudges
import WiseAPI
import TestSupport

/// The openai judge against the loopback OpenAI-compatible server, fault by fault.
@Suite struct OpenAIJudgeTests {
    let prompt = Prompt(set: .legacy, id: 42, category: .culture, categoryLabel: "Cultural knowledge", subcategory: "Festival",
                        domain: "cultural_common_sense", text: "The pastry of the Mid-Autumn Festival", explanation: "Mooncakes")
    let image = ImageFixtures.png(seed: 42)

    func server(_ p: ScoringProtocol, faults: [FakeJudgeServer.Fault] = [], rate: Double = 0,
                tweak: (inout FakeJudgeServer.Configuration) -> Void = { _ in }) throws -> FakeJudgeServer {
        var config = FakeJudgeServer.Configuration(scoringProtocol: p)
        config.faults = faults.isEmpty ? FakeJudgeServer.Fault.allCases : faults
        config.faultRate = rate
        config.slowDelay = 3
        tweak(&config)
        return try FakeJudgeServer(config)
    }

    func judge(_ server: FakeJudgeServer, _ p: ScoringProtocol, attempts: Int = 3, key: String? = "sk-test-0123456789abcdef",
               model: String = "judge-model") throws -> OpenAIJudge {
        var configuration = OpenAIJudgeConfiguration(baseURL: server.baseURL, options: ChatRequestOptions(model: model),
                                                     rubric: Rubric.plain(p), apiKey: key)
        configuration.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.001, maxDelay: 0.01)
        configuration.timeout = 1
        return try OpenAIJudge(configuration, transport: HTTPTransport())
    }

    func request(_ p: ScoringProtocol) -> JudgeRequest {
        var prompt = self.prompt
        prompt.set = p == .legacy ? .legacy : .verified
        return JudgeRequest(prompt: prompt, image: image, format: .png, repeatIndex: 0)
    }

    @Test(arguments: [ScoringProtocol.legacy, .verified])
    func aPlainReplyIsScoredAndTheRequestIsValid(p: ScoringProtocol) async throws {
        let server = try server(p)
        defer { server.stop() }
        let verdict = try await judge(server, p).judge(request(p))
        guard case .scored(let scores, let evidence) = verdict else { Issue.record("\(verdict)"); return }
        #expect(scores == FakeJudgeServer.expectedScores(for: image, scoringProtocol: p))
        #expect(evidence.usage.input > 0 && evidence.usage.output > 0)
        #expect(evidence.replies.count == 1)
        #expect(server.validationFailures.isEmpty, "\(server.validationFailures)")
        #expect(server.requestLog.first?.text?.contains(prompt.text) == true)
    }

    @Test(arguments: [FakeJudgeServer.Fault.thinkBlock, .bareNumbers])
    func harmlessOddRepliesStillScoreRight(fault: FakeJudgeServer.Fault) async throws {
        for p in ScoringProtocol.allCases {
            let server = try server(p, faults: [fault], rate: 1)
            defer { server.stop() }
            let verdict = try await judge(server, p).judge(request(p))
            guard case .scored(let scores, _) = verdict else { Issue.record("\(fault) \(p): \(verdict)"); continue }
            #expect(scores == FakeJudgeServer.expectedScores(for: image, scoringProtocol: p), "\(fault) \(p)")
        }
    }

    @Test(arguments: [FakeJudgeServer.Fault.rateLimited, .serverError, .unavailable, .reset, .invalidJSON, .emptyChoices, .slow])
    func transientFaultsAreRetriedThenGivenUp(fault: FakeJudgeServer.Fault) async throws {
        // Given a server that answers every request with the fault
        let server = try server(.legacy, faults: [fault], rate: 1)
        defer { server.stop() }
        // When judged with 3 attempts / Then it fails after exactly 3 requests, saying why
        do {
            _ = try await judge(server, .legacy, attempts: 3).judge(request(.legacy))
            Issue.record("\(fault) was not reported as a failure")
        } catch let failure as JudgeFailure {
            #expect(failure.reason.hasPrefix("gave up after 3 attempts; last: "), "\(failure.reason)")
            #expect(server.stats.requests == 3, "\(fault): \(server.stats.requests) requests")
        }
    }

    @Test func aFaultThatClearsIsRetriedToSuccess() async throws {
        // Given a server that faults half the time
        let server = try server(.verified, faults: [.rateLimited, .serverError, .reset, .invalidJSON], rate: 0.5) { $0.seed = 3 }
        defer { server.stop() }
        let judge = try judge(server, .verified, attempts: 12)
        for _ in 0..<20 {
            let verdict = try await judge.judge(request(.verified))
            #expect(verdict == .scored(FakeJudgeServer.expectedScores(for: image, scoringProtocol: .verified), evidence: verdict.evidence))
        }
        #expect(server.stats.requests > 20)
    }

    @Test func anUnreadableReplyIsAskedAgainThenKeptUnscored() async throws {
        let server = try server(.legacy) { $0.alwaysUnparseable = [SHA256.hex(ImageFixtures.png(seed: 42))] }
        defer { server.stop() }
        let verdict = try await judge(server, .legacy).judge(request(.legacy))
        guard case .unscored(let reason, let evidence) = verdict else { Issue.record("\(verdict)"); return }
        #expect(evidence.replies.count == 3 && server.stats.requests == 3)
        #expect(reason.hasPrefix("no readable score in 3 replies"))
        #expect(evidence.usage.output > 0)
    }

    @Test func otherClientErrorsFailFastWithTheServersMessage() async throws {
        let server = try server(.legacy)
        defer { server.stop() }
        do {
            _ = try await judge(server, .legacy, model: "not-the-model").judge(request(.legacy))
            Issue.record("a wrong model was accepted")
        } catch let failure as JudgeFailure {
            #expect(failure.status == 400 && failure.reason.contains("HTTP 400") && failure.reason.contains("not retried"))
            #expect(server.stats.requests == 1)
        }
    }

    @Test func theKeyNeverReachesAFailureReason() async throws {
        let key = "sk-secret-in-the-message"
        let server = try server(.legacy)
        defer { server.stop() }
        do {
            _ = try await judge(server, .legacy, key: key).judge(request(.legacy))
        } catch let failure as JudgeFailure {
            #expect(failure.status == 401 && !failure.reason.contains(key))
        }
    }

    @Test func specNamesEverythingThatChangesAJudgment() throws {
        let server = try server(.legacy)
        defer { server.stop() }
        let a = try judge(server, .legacy)
        let b = try judge(server, .legacy, model: "other")
        let c = try judge(server, .legacy, key: "sk-another-key")
        #expect(a.spec.key != b.spec.key)
        #expect(a.spec.key == c.spec.key, "the key must not change the judge's identity")
        #expect(a.spec.parameters["rubric_sha256"] == Rubric.plain(.legacy).sha256)
        #expect(!a.spec.canonicalJSON.contains("sk-"))
    }
}

@Suite struct RetryAndRateTests {
    @Test func backoffGrowsWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 0.5, maxDelay: 4)
        for retry in 1...6 {
            let d = policy.delay(beforeRetry: retry, retryAfter: nil)
            #expect(d >= 0 && d <= min(4, 0.5 * pow(2, Double(retry - 1))))
        }
        #expect(policy.delay(beforeRetry: 1, retryAfter: 2.5) == 2.5)
        #expect(policy.delay(beforeRetry: 1, retryAfter: 100) == 4)
        #expect(RetryPolicy.parseRetryAfter("7") == 7)
        // RFC 9110: delay-seconds are digits only; anything else is ignored, never a crash or a switched-off limit
        for bad in ["0.25", "-5", "1e9", "NaN", "inf", "+3", "soon", "3 s", String(repeating: "9", count: 400)] {
            #expect(RetryPolicy.parseRetryAfter(bad) == nil, "\(bad)")
        }
        #expect(RetryPolicy.parseRetryAfter("99999999999999999999")! <= 1e10)
        #expect(RetryPolicy.parseRetryAfter("Sunday, 09-Sep-01 01:46:50 GMT", now: Date(timeIntervalSince1970: 1_000_000_000)) == 10)
        #expect(RetryPolicy.parseRetryAfter("Sun Sep  9 01:46:50 2001", now: Date(timeIntervalSince1970: 1_000_000_000)) == 10)
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        #expect(RetryPolicy.parseRetryAfter("Sun, 09 Sep 2001 01:46:50 GMT", now: now) == 10)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }

    @Test func requestsPerMinuteAreHeldBack() async throws {
        // Given 600 requests a minute (10 a second, one second's burst)
        let limiter = RateLimiter(requestsPerMinute: 600, tokensPerMinute: nil)
        let start = ContinuousClock.now
        // When 25 requests acquire / Then at least 1.5 s pass (25 − 10 burst at 10/s), however loaded the machine
        for _ in 0..<25 { try await limiter.acquire(tokens: 0) }
        #expect(ContinuousClock.now - start >= .milliseconds(1400))
    }

    @Test func tokensPerMinuteAreHeldBack() async throws {
        let limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 60_000)
        let start = ContinuousClock.now
        for _ in 0..<3 { try await limiter.acquire(tokens: 1000) }
        // 3000 tokens at 1000/s with a 1000-token start: at least 2 s
        #expect(ContinuousClock.now - start >= .milliseconds(1900))
    }
}
