import Foundation
import Synchronization
import WiseCore

/// An OpenAI-compatible chat-completions server for tests: it stands in for GPT-4o or a
/// vLLM judge, speaks the real wire protocol over loopback HTTP, checks every request the
/// way a strict API would, and injects faults on demand.
///
/// Scores are a pure function of the image bytes (`expectedScores(for:scoringProtocol:)`),
/// so a test can predict every verdict. Every request that breaks the protocol gets an
/// OpenAI-style 400 (401 for a bad key) and is appended to `validationFailures`, which a
/// test should expect to be empty. Faults are drawn only for valid requests, from a seeded
/// generator, so a run with the same seed and the same request order sees the same faults.
///
/// Handlers run on one thread per connection, many at once; all shared state sits behind
/// a `Mutex`. Call `stop()` when done (deinit also stops the underlying server).
public final class FakeJudgeServer: Sendable {
    /// How the fake judge answers: the protocol, what it expects, and which faults it injects.
    public struct Configuration: Sendable {
        public var scoringProtocol: ScoringProtocol
        /// The model every request must name.
        public var model = "judge-model"
        /// The key every request must send as `Authorization: Bearer <key>`; nil skips the check.
        public var apiKey: String? = "sk-test-0123456789abcdef"
        /// The temperature every request must send; nil accepts any (or none).
        public var expectedTemperature: Double? = 0
        /// Seconds the server waits before every reply, errors included.
        public var latency: Double = 0
        /// The probability that a valid request gets a fault instead of a normal reply.
        public var faultRate: Double = 0
        /// The faults drawn (uniformly) when a request gets one.
        public var faults: [Fault] = Fault.allCases
        /// Seeds the generator that decides which requests get which faults.
        public var seed: UInt64 = 1
        /// Seconds the `slow` fault waits (on top of `latency`) before answering normally;
        /// meant to outlast the client's timeout.
        public var slowDelay: Double = 3
        /// Image SHA-256s (lowercase hex) that always get an unparseable reply.
        public var alwaysUnparseable: Set<String> = []
        /// Reply texts by image SHA-256 that replace the normal answer (for replies the readings read differently).
        public var scriptedReplies: [String: String] = [:]
        /// Keep every request body in the log (for comparing requests byte for byte or as JSON).
        public var keepBodies = false
        /// Image SHA-256s (lowercase hex) that always get HTTP 500.
        public var failForever: Set<String> = []
        /// The probability that each aspect of a normal reply moves by one step (within its range),
        /// drawn from the image, `seed` and how many times the image was asked: repeats then differ,
        /// as a judge sampled at a temperature above 0 does. 0 keeps replies a pure function of the image.
        public var jitter: Double = 0
        /// When set, every valid request gets this hostile answer instead (see `Hostile`).
        public var hostile: Hostile?
        /// The model name replies say answered (their `model` field), when it is not the one asked
        /// for: a served model changed behind a fixed name.
        public var servedAs: String?
        /// The `system_fingerprint` replies carry; nil sends none.
        public var systemFingerprint: String?
        /// A served model (and fingerprint) that replies name from some chat request on: a judge
        /// updated behind a fixed name in the middle of a run.
        public var change: ServedChange?

        public init(scoringProtocol: ScoringProtocol) {
            self.scoringProtocol = scoringProtocol
        }
    }

    /// From the chat request after the `after`-th on, replies name `servedAs` and `systemFingerprint`
    /// (each nil keeps the configuration's).
    public struct ServedChange: Sendable {
        public var after: Int
        public var servedAs: String?
        public var systemFingerprint: String?
        public init(after: Int, servedAs: String? = nil, systemFingerprint: String? = nil) {
            self.after = after; self.servedAs = servedAs; self.systemFingerprint = systemFingerprint
        }
    }

    /// A way a request can go wrong on purpose.
    public enum Fault: String, CaseIterable, Sendable, Hashable {
        /// 429 with `Retry-After: 0` and an OpenAI rate-limit error body.
        case rateLimited
        /// 500 with an OpenAI server error body.
        case serverError
        /// 503 with an OpenAI "overloaded" error body.
        case unavailable
        /// Waits `slowDelay` more seconds, then answers normally.
        case slow
        /// Resets the TCP connection without answering.
        case reset
        /// 200 with a body that is not JSON (a reply cut off mid-object).
        case invalidJSON
        /// 200 with `"choices": []`.
        case emptyChoices
        /// 200 with a reply that holds no scores ("I cannot evaluate this image.").
        case unparseable
        /// 200 with the right scores preceded by a `<think>…</think>` block holding wrong ones.
        case thinkBlock
        /// 200 with the right scores as bare lines: legacy "2\n1\n0", verified "1".
        case bareNumbers
    }

    /// What the server has seen and sent so far (a snapshot).
    public struct Stats: Sendable, Equatable {
        /// Every HTTP request read, valid or not.
        public var requests: Int = 0
        /// Replies of each fault kind, the per-image `failForever` and `alwaysUnparseable`
        /// answers included (as `serverError` and `unparseable`).
        public var faultsServed: [Fault: Int] = [:]
        /// Requests per image SHA-256, for every request whose image could be decoded.
        public var requestsByImage: [String: Int] = [:]
        /// 200 replies that carried the correct scores (normal, `slow`, `thinkBlock`, `bareNumbers`).
        public var okReplies: Int = 0
        /// Requests refused by validation (400 or 401).
        public var rejected: Int = 0
        /// The most requests in the handler at once, latency included.
        public var maxConcurrent: Int = 0
    }

    /// One request as the server understood it, and what it answered.
    public struct LoggedRequest: Sendable, Equatable {
        /// The SHA-256 of the decoded image, when there was one.
        public var imageSHA256: String?
        public var model: String?
        /// The system message's text, when one was sent.
        public var systemPrompt: String?
        /// The text part of the user message.
        public var text: String?
        public var temperature: Double?
        public var maxTokens: Int?
        public var seed: Int?
        /// The HTTP status sent; nil when the connection was reset instead.
        public var status: Int?
        /// The fault served, if any.
        public var fault: Fault?
        /// The loopback connection that carried the request (1 for the first).
        public var connectionID: Int
        /// The request body as sent, when `Configuration.keepBodies` is on.
        public var body: Data?
    }

    /// The configuration the server was started with.
    public var configuration: Configuration { core.configuration }
    private let server: LoopbackHTTPServer
    private let core: Core

    /// The state the connection threads share: counters, failures, the log, the generator.
    final class Core: Sendable {
        let configuration: Configuration
        let state = Mutex(State())
        let generator: Mutex<SplitMix>

        init(configuration: Configuration) {
            self.configuration = configuration
            generator = Mutex(SplitMix(seed: configuration.seed))
        }
    }

    struct State {
        var stats = Stats()
        var inFlight = 0
        var failures: [String] = []
        var log: [LoggedRequest] = []
        /// Chat requests accepted so far (what `ServedChange.after` counts).
        var chats = 0
    }

    /// Starts listening on 127.0.0.1 at a free port.
    public init(_ configuration: Configuration) throws {
        let core = Core(configuration: configuration)
        self.core = core
        server = try LoopbackHTTPServer { request in
            FakeJudgeServer.handle(request, core: core)
        }
    }

    deinit {
        server.stop()
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL an OpenAI client is given.
    public var baseURL: String { server.baseURL + "/v1" }

    /// The full chat-completions URL.
    public var chatCompletionsURL: String { baseURL + "/chat/completions" }

    /// The port the server listens on.
    public var port: Int { server.port }

    /// Stops accepting and closes open connections. Safe to call more than once.
    public func stop() {
        server.stop()
    }

    /// A snapshot of the counters.
    public var stats: Stats { core.state.withLock { $0.stats } }

    /// Why each refused request was refused, in arrival order; empty when every request was valid.
    public var validationFailures: [String] { core.state.withLock { $0.failures } }

    /// Every request in arrival order, with what the server made of it.
    public var requestLog: [LoggedRequest] { core.state.withLock { $0.log } }

    // MARK: Handling

    private static func handle(_ request: ServerRequest, core: Core) -> ServerAction {
        let configuration = core.configuration
        let number = core.state.withLock { state in
            state.stats.requests += 1
            state.inFlight += 1
            state.stats.maxConcurrent = max(state.stats.maxConcurrent, state.inFlight)
            return state.stats.requests
        }
        defer { core.state.withLock { $0.inFlight -= 1 } }

        // GET /v1/models lists the one model served, as OpenAI and vLLM do.
        if request.method == "GET" && request.path == "/v1/models" {
            let model = configuration.servedAs ?? configuration.model
            return .json(#"{"object":"list","data":[{"id":\#(jsonString(model)),"object":"model","owned_by":"fake"}]}"#)
        }
        var entry = LoggedRequest(connectionID: request.connectionID)
        if configuration.keepBodies { entry.body = request.body }
        let action: ServerAction
        switch Wire.parse(request, configuration: configuration, entry: &entry) {
        case .refused(let refusal):
            let failure = "request \(number) (\(request.method) \(request.path)): \(refusal.message)"
            core.state.withLock { state in
                state.failures.append(failure)
                state.stats.rejected += 1
                if let sha = entry.imageSHA256 { state.stats.requestsByImage[sha, default: 0] += 1 }
            }
            entry.status = refusal.status
            action = Wire.error(refusal)
        case .accepted(let chat):
            let (perImage, chats) = core.state.withLock { state in
                state.stats.requestsByImage[chat.imageSHA256, default: 0] += 1
                state.chats += 1
                return (state.stats.requestsByImage[chat.imageSHA256]!, state.chats)
            }
            var configuration = configuration
            if let change = configuration.change, chats > change.after {
                configuration.servedAs = change.servedAs ?? configuration.servedAs
                configuration.systemFingerprint = change.systemFingerprint ?? configuration.systemFingerprint
            }
            if let hostile = configuration.hostile {
                action = hostileAnswer(hostile, chat: chat, apiKey: configuration.apiKey)
                break
            }
            let fault = chooseFault(for: chat, core: core)
            let answer = Replies.answer(
                to: chat, fault: fault, configuration: configuration, id: "chatcmpl-\(chat.imageSHA256.prefix(20))\(perImage)", asked: perImage)
            if fault == .slow { sleep(seconds: configuration.slowDelay) }
            entry.status = answer.status
            entry.fault = fault
            core.state.withLock { state in
                if let fault { state.stats.faultsServed[fault, default: 0] += 1 }
                if answer.carriesScores { state.stats.okReplies += 1 }
            }
            action = answer.action
        }
        sleep(seconds: configuration.latency)
        core.state.withLock { $0.log.append(entry) }
        return action
    }

    /// The fault this request gets: the image's fixed one, else one drawn with `faultRate`.
    private static func chooseFault(for chat: Wire.Chat, core: Core) -> Fault? {
        let configuration = core.configuration
        if configuration.failForever.contains(chat.imageSHA256) { return .serverError }
        if configuration.alwaysUnparseable.contains(chat.imageSHA256) { return .unparseable }
        guard configuration.faultRate > 0, !configuration.faults.isEmpty else { return nil }
        return core.generator.withLock { generator in
            guard generator.nextUnit() < configuration.faultRate else { return nil }
            return configuration.faults[Int(generator.next() % UInt64(configuration.faults.count))]
        }
    }

    private static func sleep(seconds: Double) {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }
}


