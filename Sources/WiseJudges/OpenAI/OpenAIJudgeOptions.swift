import ArgumentParser
import Foundation
import WiseAPI
import WiseCore
import WiseHTTP
import WiseOptions

/// The options of the `openai` judge. Each request setting defaults to the official evaluator's
/// value for the run's protocol; a flag that changes one shows in the judge's identity and reports.
public struct OpenAIJudgeOptions: ParsableArguments, JudgeFactory {
    public static let adapterName = "openai"
    public static let summary = "an LLM over an OpenAI-compatible chat-completions API (OpenAI, vLLM, SGLang, Ollama, …), asked exactly what the official evaluator asks"

    public init() {}

    @Option(help: ArgumentHelp("The API root of an OpenAI-compatible server, e.g. https://api.openai.com/v1 or http://localhost:8000/v1. Give it several times to spread requests over replicas of one model (each must serve --model; a replica that stops answering is left out while the others carry on).", valueName: "url"))
    public var baseURL: [String] = []

    @Option(help: ArgumentHelp("The judge model as the server knows it: gpt-4o-2024-05-13 (legacy, as in the paper) or Qwen3.5-35B-A3B (verified, the name the official eval_qwen.sh serves it under).", valueName: "name"))
    public var model: String?

    @Option(help: ArgumentHelp("The environment variable that holds the API key (the key itself is never stored or logged). Without it no key is sent.", valueName: "var"))
    public var apiKeyEnv: String?

    @Option(help: ArgumentHelp("official (the system text and template of the pinned official evaluator), plain (wise's own texts) or a rubric FILE with {prompt} and {explanation}.", valueName: "official|plain|file"))
    public var rubric = "official"

    @Option(help: ArgumentHelp("Which reading of a reply counts: official (exactly the official evaluator's extract_scores) or strict (wise's stricter reader). Both are stored.", valueName: "official|strict"))
    public var reading: Reading = .official

    @Option(help: "Sampling temperature (default: the official evaluator's, 0.0).")
    public var temperature: Double?

    @Option(help: "The most tokens a reply may have (default: the official evaluator's: verified 500, legacy 2000).")
    public var maxTokens: Int?

    @Option(help: "A sampling seed, for servers that honour it (default: none, as the official evaluators).")
    public var seed: Int?

    @Option(help: ArgumentHelp("A JSON object merged into each request body over the official members (verified sends {\"chat_template_kwargs\":{\"enable_thinking\":false}}).", valueName: "json"))
    public var extraBody: String?

    @Option(help: "Seconds allowed for one request (default: the official evaluator's: verified 300; legacy 600, the openai 0.28 client's).")
    public var timeout: Double?

    @Option(help: "Attempts per request on 429, 5xx, timeouts and dropped connections (with exponential backoff).")
    public var retries = 6

    @Option(help: ArgumentHelp("The first backoff cap in seconds; it doubles on each retry (Retry-After wins when sent).", valueName: "seconds"))
    public var retryBaseDelay = 0.5

    @Option(name: [.customLong("reads"), .customLong("parse-attempts")],
            help: "Replies read per item until one yields a score, before it is recorded unscored (default: the official evaluator's, 3).")
    public var reads: Int?

    @Option(help: ArgumentHelp("At most this many requests per minute.", valueName: "n"))
    public var rpm: Double?

    @Option(help: ArgumentHelp("At most this many tokens per minute (estimated before, corrected after each request).", valueName: "n"))
    public var tpm: Double?

    public func validate() throws {
        guard (1...100).contains(retries) else { throw ValidationError("--retries must be 1…100") }
        if let reads, !(1...100).contains(reads) { throw ValidationError("--reads (or --parse-attempts) must be 1…100") }
        if let temperature { try checkRange("--temperature", temperature, 0...2) }
        if let timeout { try checkRange("--timeout", timeout, 0.001...86_400) }
        try checkRange("--retry-base-delay", retryBaseDelay, 0...3600)
        if let maxTokens, !(1...10_000_000).contains(maxTokens) { throw ValidationError("--max-tokens must be 1…10000000") }
        if let rpm { try checkRange("--rpm", rpm, 0.01...1e9) }
        if let tpm { try checkRange("--tpm", tpm, 1...1e12) }
    }

    /// The `openai` judge: official request and reading by default, each setting overridable.
    public func makeJudge(_ context: JudgeContext) throws -> MadeJudge {
        let options = self
        let scoringProtocol = context.scoringProtocol
        let environment = context.environment
        guard let baseURL = options.baseURL.first, let model = options.model else {
            if options.baseURL.isEmpty && options.model == nil {
                throw UsageError("the openai judge needs --base-url URL and --model NAME (e.g. --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B); for a local judge without an API use --judge clip")
            }
            throw UsageError("the openai judge needs --base-url URL and --model NAME (e.g. --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B)")
        }
        for url in options.baseURL where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw UsageError("--base-url \(url) must start with http:// or https://")
        }
        if let repeated = options.baseURL.first(where: { url in options.baseURL.filter { $0 == url }.count > 1 }) {
            throw UsageError("--base-url \(repeated) is given twice; give each replica once")
        }
        var apiKey: String?
        if let variable = options.apiKeyEnv {
            if let value = environment[variable], !value.isEmpty {
                apiKey = value
            } else if !context.dryRun {
                // A dry run sends nothing, so it needs no key (and says nothing about one).
                throw UsageError("--api-key-env \(variable): that environment variable is not set; export it or leave the option out for a server without keys")
            }
        }
        let location = try CatalogueLocation.fromEnvironment(environment)
        // The official evaluator is required for the official rubric, and used for the defaults whenever it is at hand.
        let official: OfficialEvaluator?
        let rubric: Rubric
        switch options.rubric {
        case "official":
            let evaluator = try location.officialEvaluator(for: scoringProtocol)
            official = evaluator
            rubric = .official(evaluator)
        case "plain":
            official = try? location.officialEvaluator(for: scoringProtocol)
            rubric = .plain(scoringProtocol)
        default:
            official = try? location.officialEvaluator(for: scoringProtocol)
            rubric = try Rubric.load(from: options.rubric, scoringProtocol: scoringProtocol)
        }
        var chat = ChatRequestOptions(model: model)
        var defaultExtras: [(String, String)] = []
        if let official {
            for (key, text) in official.settings.body.sorted(by: { $0.key < $1.key }) {
                switch key {
                case "temperature": chat.temperature = Double(text) ?? 0
                case "max_tokens": chat.maxTokens = Int(text)
                default: defaultExtras.append((key, text))
                }
            }
        }
        if let temperature = options.temperature { chat.temperature = temperature }
        if let maxTokens = options.maxTokens { chat.maxTokens = maxTokens }
        chat.seed = options.seed
        chat.extraBody = try Self.mergedExtraBody(defaults: defaultExtras, user: options.extraBody)
        var configuration = OpenAIJudgeConfiguration(baseURL: baseURL, options: chat, rubric: rubric, apiKey: apiKey)
        configuration.replicaBaseURLs = Array(options.baseURL.dropFirst())
        configuration.maxTokensOverridden = options.maxTokens != nil
        let officialTimeout = official.map { $0.settings.timeout ?? OpenAIJudgeConfiguration.legacyClientTimeout }
        configuration.timeout = options.timeout ?? officialTimeout ?? 120
        configuration.retry = RetryPolicy(maxAttempts: options.retries, baseDelay: options.retryBaseDelay)
        configuration.parseAttempts = options.reads ?? official?.settings.reads ?? 3
        configuration.requestsPerMinute = options.rpm
        configuration.tokensPerMinute = options.tpm
        configuration.reading = options.reading
        configuration.official = official
        var notes: [String] = []
        if let officialTimeout, configuration.timeout != officialTimeout {
            notes.append("timeout \(formatNumber(configuration.timeout)) s (official \(formatNumber(officialTimeout)) s)")
        }
        var transportOptions = HTTPTransport.Options()
        transportOptions.caFile = context.caFile
        let transport = HTTPTransport(options: transportOptions)
        return MadeJudge(judge: try OpenAIJudge(configuration, transport: transport), rubricSHA256: rubric.sha256, notes: notes)
    }

    /// The official extra members (as JSON texts) with the user's `--extra-body` members over them, as one object text.
    public static func mergedExtraBody(defaults: [(String, String)], user: String?) throws -> String? {
        guard !defaults.isEmpty else { return user }
        var members = defaults
        if let user {
            // Validate the user's text on its own first, so its error names --extra-body and not the merge.
            try ChatRequestOptions(model: "m", extraBody: user).validate()
            for (key, json) in try CanonicalJSON.members(ofObject: user) {
                if let existing = members.firstIndex(where: { $0.0 == key }) { members[existing].1 = json } else { members.append((key, json)) }
            }
        }
        return "{" + members.map { jsonString($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}

extension Reading: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

