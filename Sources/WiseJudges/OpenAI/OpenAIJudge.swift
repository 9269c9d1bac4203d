import Foundation
import Synchronization
import WiseAPI
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
    /// The request timeout of the openai 0.28 client the official legacy evaluator uses (it sets none of its own).
    public static let legacyClientTimeout = 600.0
    /// Which reading of a reply counts (`official` by default); the other is stored beside it.
    public var reading: Reading = .official
    /// The official evaluator of the protocol, when known: what the request is compared with to
    /// say whether it is the official one.
    public var official: OfficialEvaluator?
    /// Whether `max_tokens` was set by the user rather than taken from the official evaluator (for advice only).
    public var maxTokensOverridden = false

    public init(baseURL: String, options: ChatRequestOptions, rubric: Rubric, apiKey: String?) {
        self.baseURL = baseURL; self.options = options; self.rubric = rubric; self.apiKey = apiKey
    }

    /// More servers of the same model that share the requests (`--base-url` given again), each
    /// with its own health and backoff.
    public var replicaBaseURLs: [String] = []

    /// The chat-completions endpoint under the base URL.
    public var endpoint: String { WiseAPI.endpoint(baseURL, "chat/completions") }

    /// Every server's API root: the base URL, then the replicas.
    public var baseURLs: [String] { [baseURL] + replicaBaseURLs }
}

/// The `openai` judge: asks an OpenAI-compatible API to score an image with a WISE rubric.
///
/// Transient failures (429, 5xx, timeouts, dropped connections, garbled replies) are retried with
/// backoff; other 4xx fail at once with the server's message. A reply without a readable score
/// is asked again up to `parseAttempts` times, then recorded as unscored with every reply.
public final class OpenAIJudge: Judge {
    public let spec: AdapterSpec
    public let configuration: OpenAIJudgeConfiguration
    /// The one API client: retries, limits, redirects, caps, redaction, classification (the first server's).
    let client: APIClient
    /// Every server the requests are spread over, each with its own client; one for a single --base-url.
    let pool: ReplicaPool
    /// The request written to JSON once; each image fills in its prompt and bytes.
    let template: ChatRequestTemplate
    /// Replies cut off by the token limit in this judge's passes.
    private let cutOffCount = Atomic<Int>(0)
    /// The service as failure messages name it.
    public static let service = APIService(name: "the judge", urlOption: "--base-url", keyOption: "--api-key-env", modelOption: "--model")

    public init(_ configuration: OpenAIJudgeConfiguration, transport: HTTPTransport) throws {
        try configuration.options.validate()
        guard configuration.rubric.scoringProtocol == configuration.official?.scoringProtocol ?? configuration.rubric.scoringProtocol else {
            throw UsageError("the official evaluator given is for \(configuration.official!.scoringProtocol.rawValue), the rubric for \(configuration.rubric.scoringProtocol.rawValue)")
        }
        self.configuration = configuration
        spec = try Self.identity(of: configuration)
        template = ChatRequestTemplate(rubric: configuration.rubric, model: configuration.options.model,
                                       members: try configuration.options.effectiveMembers())
        var api = APIClientConfiguration(service: Self.service, apiKey: configuration.apiKey)
        api.retry = configuration.retry
        api.requestsPerMinute = configuration.requestsPerMinute
        api.tokensPerMinute = configuration.tokensPerMinute
        api.timeout = configuration.timeout
        api.maxReplyBytes = Self.maxReplyBytes
        pool = ReplicaPool(replicas: configuration.baseURLs.map { base in
            ReplicaPool.Replica(baseURL: base, endpoint: WiseAPI.endpoint(base, "chat/completions"),
                                client: APIClient(transport: transport, configuration: api))
        })
        client = pool.replicas[0].client
    }

    /// With several servers, checks before the first item that each one lists the model under
    /// `/models`; a server that does not (or cannot be asked) stops the run before anything is judged.
    public func start() async throws {
        guard pool.replicas.count > 1 else { return }
        let model = configuration.options.model
        for replica in pool.replicas {
            let url = WiseAPI.endpoint(replica.baseURL, "models")
            let request = HTTPRequest(method: .get, url: url, headers: replica.client.headers(json: false), timeout: configuration.timeout)
            let listed: [String]
            do {
                listed = try await replica.client.send(request) { response in
                    guard (200..<300).contains(response.status) else { throw replica.client.failure(for: response, endpoint: url) }
                    struct Models: Decodable { struct Model: Decodable { var id: String }; var data: [Model] }
                    guard let models = try? JSONDecoder().decode(Models.self, from: response.body) else {
                        throw APIFailure(reason: "its /models reply is not a model list")
                    }
                    return models.data.map(\.id)
                }
            } catch let failure as APIFailure {
                throw OutcomeError("judge server \(HTTPError.redact(replica.baseURL)) cannot be asked which models it serves: \(failure.reason); every --base-url must be a running replica of --model \(model)", kind: .unavailable)
            }
            guard listed.contains(model) else {
                throw OutcomeError("judge server \(HTTPError.redact(replica.baseURL)) does not serve --model \(model) (it lists \(listed.prefix(5).joined(separator: ", "))); every --base-url must be a replica of one model", kind: .usage)
            }
        }
    }

    /// Replies cut off by the token limit so far (`finish_reason: length`, or a `<think>` never closed).
    public var cutOffReplies: Int { cutOffCount.load(ordering: .relaxed) }

    /// The replies cut off by the token limit, with what to change.
    public func passNotes() -> [String] {
        let cutOff = cutOffReplies
        guard cutOff > 0 else { return [] }
        let limit = configuration.maxTokensOverridden ? "--max-tokens \(configuration.options.maxTokens.map(String.init) ?? "")" : "the default --max-tokens (the official evaluator's)"
        return ["\(cutOff) \(cutOff == 1 ? "reply was" : "replies were") cut off by the token limit (finish_reason: length, or a <think> block never closed); raise \(limit), or turn thinking off (e.g. --extra-body '{\"chat_template_kwargs\":{\"enable_thinking\":false}}')"]
    }

    /// Tokens for a dry run: the rendered rubric and request at ~4 bytes a token, an image at 765
    /// tokens, and a reply of the length the protocol's answers have.
    public func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate? {
        let textBytes = (workload.samplePrompt.map { configuration.rubric.render(for: $0).utf8.count } ?? 2000) + 400
        let inputPer = Self.estimateTokens(bodyBytes: textBytes, imageBytes: 0, maxTokens: 0)
        let outputPer = configuration.rubric.scoringProtocol == .legacy ? 16 : 6
        return JudgeEstimate(tokens: TokenUsage(input: workload.requests * inputPer, output: workload.requests * outputPer),
                             basis: "an image at 765 tokens" + (workload.meanImageBytes > 0 ? ", mean image \(workload.meanImageBytes / 1024) KiB" : ""))
    }

    /// Where the judge is reached: the endpoint without user info or query, where keys sometimes travel.
    public var provenance: String? { HTTPError.redact(configuration.endpoint) }

    /// The judge's identity: the model, the request it sends and how replies are read.
    ///
    /// What belongs here changes the judge's answers: the model name, the protocol, the rubric
    /// (its kind and the SHA-256 of its texts), the system message's shape, every request member
    /// besides `model` and `messages` in canonical JSON, the reading that counts and how many
    /// replies are read. What does not is provenance, kept per judgment instead: the URL the judge
    /// was reached at (`localhost` and `127.0.0.1` are one judge), timeouts, retries, concurrency
    /// and rate limits. `official` is derived from the rest: `yes`, or what differs from the
    /// official evaluator's request.
    public static func identity(of configuration: OpenAIJudgeConfiguration) throws -> AdapterSpec {
        let rubric = configuration.rubric
        var parameters = [
            "model": configuration.options.model,
            "protocol": rubric.scoringProtocol.rawValue,
            "rubric": rubric.name,
            "rubric_sha256": rubric.sha256,
            "system_shape": rubric.system == nil ? "none" : rubric.systemShape.rawValue,
            "body": try configuration.options.canonicalBody(),
            "reading": configuration.reading.rawValue,
            "reads": String(max(1, configuration.parseAttempts)),
        ]
        let deviations = try officialDeviations(of: configuration)
        parameters["official"] = deviations.isEmpty ? "yes" : "no: " + deviations.joined(separator: "; ")
        return AdapterSpec(adapter: "openai", parameters: parameters)
    }

    /// What a configuration's request and reading differ in from the official evaluator's; empty when they are the same.
    public static func officialDeviations(of configuration: OpenAIJudgeConfiguration) throws -> [String] {
        guard let official = configuration.official else { return ["no official evaluator to compare with"] }
        var out: [String] = []
        let rubric = configuration.rubric
        if rubric.name != "official" || rubric.system != official.system || rubric.text != official.template {
            out.append("rubric \(rubric.name) (official: the text of \(official.source))")
        } else if rubric.systemShape != .parts {
            out.append("system message as a string (official: a list of one text part)")
        }
        let ours = Dictionary(uniqueKeysWithValues: try configuration.options.effectiveMembers().map { ($0.key, $0.json) })
        var theirs: [String: String] = [:]
        for (key, text) in official.settings.body { theirs[key] = try CanonicalJSON.canonicalize(text) }
        for key in Set(ours.keys).union(theirs.keys).sorted() where ours[key] != theirs[key] {
            out.append("\(key) \(ours[key] ?? "absent") (official \(theirs[key] ?? "absent"))")
        }
        if configuration.reading != .official { out.append("reading \(configuration.reading.rawValue) (official: official)") }
        if configuration.parseAttempts != official.settings.reads {
            out.append("reads \(configuration.parseAttempts) (official \(official.settings.reads))")
        }
        return out
    }

    public func judge(_ request: JudgeRequest) async throws -> Verdict {
        let body = template.body(prompt: request.prompt, image: request.image, format: request.format)
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
            evidence.endpoint = reply.endpoint ?? evidence.endpoint
            let scoringProtocol = configuration.rubric.scoringProtocol
            switch configuration.reading.read(reply.content, scoringProtocol: scoringProtocol) {
            case .scores(let scores):
                evidence.otherReadings = otherReadings(of: reply.content)
                return .scored(scores, evidence: evidence)
            case .unreadable(let reason):
                lastReason = reason
            }
        }
        if let last = evidence.replies.last { evidence.otherReadings = otherReadings(of: last) }
        let count = evidence.replies.count
        return .unscored(reason: "no readable score in \(count) \(count == 1 ? "reply" : "replies"): \(lastReason)", evidence: evidence)
    }

    /// The readings that do not count, of the reply that counted (or of the last reply when none did).
    func otherReadings(of reply: String) -> [String: ReadingOutcome] {
        var out: [String: ReadingOutcome] = [:]
        for reading in Reading.allCases where reading != configuration.reading {
            out[reading.rawValue] = reading.read(reply, scoringProtocol: configuration.rubric.scoringProtocol)
        }
        return out
    }
    /// The largest reply body read; a judge's answer is a few kilobytes, so anything past this is refused before parsing.
    static let maxReplyBytes = 8 << 20

    /// Sends one chat request through the API client; returns the reply or throws `JudgeFailure`
    /// (marked `fatal` when the client says the run must stop). Every text that may be stored,
    /// the reply included, has the API key removed.
    func send(_ body: Data, estimate: Int) async throws -> ChatReply {
        var trouble: JudgeFailure?
        for index in pool.order() {
            do {
                let reply = try await send(body, estimate: estimate, via: pool.replicas[index])
                pool.markUp(index)
                if let mismatch = pool.checkServedModel(reply.model, from: index) {
                    throw JudgeFailure(reason: mismatch.message, fatal: mismatch)
                }
                return reply
            } catch let failure as JudgeFailure where pool.replicas.count > 1 && ReplicaPool.isServerTrouble(failure) {
                // This server is down or overloaded: leave it out for a while and ask another.
                pool.markDown(index)
                trouble = JudgeFailure(reason: "every judge server failed; last, \(HTTPError.redact(pool.replicas[index].baseURL)): \(failure.reason)",
                                       status: failure.status, usage: failure.usage)
            }
        }
        throw trouble ?? JudgeFailure(reason: "no judge server to ask")
    }

    /// Sends one chat request to one server through its client.
    func send(_ body: Data, estimate: Int, via replica: ReplicaPool.Replica) async throws -> ChatReply {
        let client = replica.client
        let redact = client.redact
        do {
            return try await client.post(replica.endpoint, body: body, estimatedTokens: estimate,
                                         used: { $0.usage.input + $0.usage.output }) { response in
                guard (200..<300).contains(response.status) else {
                    throw client.failure(for: response, endpoint: replica.endpoint)
                }
                var reply = try ChatCompletion.parseResponse(response.body)
                if ChatCompletion.wasCutOff(content: reply.content, finishReason: reply.finishReason) {
                    cutOffCount.add(1, ordering: .relaxed)
                }
                reply.content = redact(reply.content)
                reply.model = reply.model.map { redact($0) }
                reply.systemFingerprint = reply.systemFingerprint.map { redact($0) }
                reply.endpoint = HTTPError.redact(replica.endpoint)
                return reply
            }
        } catch let failure as APIFailure {
            throw JudgeFailure(reason: failure.reason, status: failure.status, fatal: failure.stop)
        }
    }


    /// A rough token estimate for rate limiting and dry runs: text at ~4 bytes a token, an image at
    /// the cost of a high-detail 1024×1024 image (765 tokens), plus the reply allowance.
    public static func estimateTokens(bodyBytes: Int, imageBytes: Int, maxTokens: Int?) -> Int {
        let base64 = (imageBytes + 2) / 3 * 4
        return max(0, bodyBytes - base64) / 4 + 765 + min(maxTokens ?? 64, 64)
    }
}
