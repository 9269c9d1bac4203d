import ArgumentParser
import Foundation
import WiseCore
import WiseHTTP
import WiseJudges
import WiseAPI
import WiseReport
import WiseRunner
import WiseStore

/// The options that choose and tune a judge; shared by `wise judge` and `wise run`.
///
/// Options common to every judge sit here; each adapter's own options are an option group of
/// their own (`OpenAIJudgeOptions`), shown under the adapter's heading in `--help`.
struct JudgeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The judge adapter: \(JudgeRegistry.names.joined(separator: ", ")) (default openai).", valueName: "name"))
    var judge: String?

    @OptionGroup(title: "openai judge (an OpenAI-compatible chat-completions API)")
    var openai: OpenAIJudgeOptions

    @OptionGroup(title: "clip judge (a local CLIP model; --judge clip)")
    var clip: CLIPJudgeOptions

    @Option(help: "Requests in flight at once (1–512).")
    var concurrency = 16

    @Option(help: "Independent judgments per image (for judge-variance studies).")
    var repeats = 1

    @OptionGroup var priceOptions: PriceOptions

    @Flag(help: "Print how many requests would be sent (after the store's cache), what differs from judgments already in the store, and an estimate of tokens and cost; send nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    var progressInterval = 5.0

    @Option(help: ArgumentHelp("A PEM file of the certificate authority that signed the judge server's certificate (default: SSL_CERT_FILE or CURL_CA_BUNDLE when set, else the system's).", valueName: "file"))
    var caCert: String?

    var prices: TokenPrices? { priceOptions.prices }

    func validate() throws {
        guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be 1…512") }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
        try checkRange("--progress-interval", progressInterval, 0.01...86_400)
    }
}

/// The options of the `openai` judge. Each request setting defaults to the official evaluator's
/// value for the run's protocol; a flag that changes one shows in the judge's identity and reports.
struct OpenAIJudgeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The API root of an OpenAI-compatible server, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("The judge model as the server knows it: gpt-4o-2024-05-13 (legacy, as in the paper) or Qwen3.5-35B-A3B (verified, the name the official eval_qwen.sh serves it under).", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("The environment variable that holds the API key (the key itself is never stored or logged). Without it no key is sent.", valueName: "var"))
    var apiKeyEnv: String?

    @Option(help: ArgumentHelp("official (default: the system text and template of the pinned official evaluator), plain (wise's own texts) or a rubric FILE with {prompt} and {explanation}.", valueName: "official|plain|file"))
    var rubric = "official"

    @Option(help: ArgumentHelp("Which reading of a reply counts: official (default; exactly the official evaluator's extract_scores) or strict (wise's stricter reader). Both are stored.", valueName: "official|strict"))
    var reading: Reading = .official

    @Option(help: "Sampling temperature (default: the official evaluator's, 0.0).")
    var temperature: Double?

    @Option(help: "The most tokens a reply may have (default: the official evaluator's: verified 500, legacy 2000).")
    var maxTokens: Int?

    @Option(help: "A sampling seed, for servers that honour it (default: none, as the official evaluators).")
    var seed: Int?

    @Option(help: ArgumentHelp("A JSON object merged into each request body over the official members (verified sends {\"chat_template_kwargs\":{\"enable_thinking\":false}}).", valueName: "json"))
    var extraBody: String?

    @Option(help: "Seconds allowed for one request (default: the official evaluator's: verified 300; legacy 600, the openai 0.28 client's).")
    var timeout: Double?

    @Option(help: "Attempts per request on 429, 5xx, timeouts and dropped connections (with exponential backoff).")
    var retries = 6

    @Option(help: ArgumentHelp("The first backoff cap in seconds; it doubles on each retry (Retry-After wins when sent).", valueName: "seconds"))
    var retryBaseDelay = 0.5

    @Option(name: [.customLong("reads"), .customLong("parse-attempts")],
            help: "Replies read per item until one yields a score, before it is recorded unscored (default: the official evaluator's, 3).")
    var reads: Int?

    @Option(help: ArgumentHelp("At most this many requests per minute.", valueName: "n"))
    var rpm: Double?

    @Option(help: ArgumentHelp("At most this many tokens per minute (estimated before, corrected after each request).", valueName: "n"))
    var tpm: Double?

    func validate() throws {
        guard (1...100).contains(retries) else { throw ValidationError("--retries must be 1…100") }
        if let reads, !(1...100).contains(reads) { throw ValidationError("--reads (or --parse-attempts) must be 1…100") }
        if let temperature { try checkRange("--temperature", temperature, 0...2) }
        if let timeout { try checkRange("--timeout", timeout, 0.001...86_400) }
        try checkRange("--retry-base-delay", retryBaseDelay, 0...3600)
        if let maxTokens, !(1...10_000_000).contains(maxTokens) { throw ValidationError("--max-tokens must be 1…10000000") }
        if let rpm { try checkRange("--rpm", rpm, 0.01...1e9) }
        if let tpm { try checkRange("--tpm", tpm, 1...1e12) }
    }
}

extension Reading: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// A judge made from the options, with the rubric it asks with (nil for judges without one).
struct MadeJudge {
    var judge: Judge
    var rubric: Rubric?
    /// Settings that differ from the official evaluator's but are not part of the judge's identity (timeout), for the console.
    var notes: [String] = []
    /// The most items the judge should be given at once (nil: `--concurrency` decides).
    var maxConcurrency: Int? = nil
}

/// Finds judge adapters by name and builds them from their option groups.
enum JudgeRegistry {
    /// Each adapter's name and what makes it.
    static let factories: [(name: String, make: @Sendable (JudgeOptions, ScoringProtocol, [String: String]) throws -> MadeJudge)] = [
        ("openai", makeOpenAI),
        ("clip", makeCLIP),
    ]
    static var names: [String] { factories.map(\.name) }

    /// Builds the named judge for a protocol, or explains what is missing.
    static func make(_ options: JudgeOptions, scoringProtocol: ScoringProtocol,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MadeJudge {
        let name = options.judge ?? "openai"
        guard let factory = factories.first(where: { $0.name == name }) else {
            throw UsageError("unknown judge '\(name)'\(didYouMean(name, among: names)); the judges are \(names.joined(separator: ", "))")
        }
        return try factory.make(options, scoringProtocol, environment)
    }

    /// The `openai` judge: official request and reading by default, each setting overridable.
    static func makeOpenAI(_ all: JudgeOptions, _ scoringProtocol: ScoringProtocol, _ environment: [String: String]) throws -> MadeJudge {
        let options = all.openai
        guard let baseURL = options.baseURL, let model = options.model else {
            if options.baseURL == nil && options.model == nil {
                throw UsageError("the openai judge needs --base-url URL and --model NAME (e.g. --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B); for a local judge without an API use --judge clip")
            }
            throw UsageError("the openai judge needs --base-url URL and --model NAME (e.g. --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B)")
        }
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw UsageError("--base-url \(baseURL) must start with http:// or https://")
        }
        var apiKey: String?
        if let variable = options.apiKeyEnv {
            guard let value = environment[variable], !value.isEmpty else {
                throw UsageError("--api-key-env \(variable): that environment variable is not set; export it or leave the option out for a server without keys")
            }
            apiKey = value
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
        chat.extraBody = try mergedExtraBody(defaults: defaultExtras, user: options.extraBody)
        var configuration = OpenAIJudgeConfiguration(baseURL: baseURL, options: chat, rubric: rubric, apiKey: apiKey)
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
        let transport = HTTPTransport(options: try transportOptions(all))
        return MadeJudge(judge: try OpenAIJudge(configuration, transport: transport), rubric: rubric, notes: notes)
    }

    /// The official extra members (as JSON texts) with the user's `--extra-body` members over them, as one object text.
    static func mergedExtraBody(defaults: [(String, String)], user: String?) throws -> String? {
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

/// How two judge specs differ, parameter by parameter: `max_tokens in body …; reading strict → official`.
func specDifferences(_ old: AdapterSpec, _ new: AdapterSpec) -> String {
    let keys = Set(old.parameters.keys).union(new.parameters.keys).sorted()
    let changed = keys.filter { old.parameters[$0] != new.parameters[$0] && $0 != "official" }
    guard !changed.isEmpty else { return "they differ only in how they were recorded" }
    return changed.map { "\($0) \(old.parameters[$0] ?? "absent") → \(new.parameters[$0] ?? "absent")" }.joined(separator: "; ")
}

/// Judges a registered run with the judge the options describe (or one already made from them), then prints its report.
func judgeRun(_ run: StoredRun, store: ResultsStore, options: JudgeOptions, made: MadeJudge? = nil, promptIDs: Set<Int>? = nil) async throws {
    let made = try made ?? JudgeRegistry.make(options, scoringProtocol: run.scoringProtocol)
    let judge = made.judge
    let runner = JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: made.rubric?.sha256,
                             options: .init(repeats: options.repeats, concurrency: min(options.concurrency, made.maxConcurrency ?? .max),
                                            promptIDs: promptIDs))
    if options.dryRun {
        let (pending, answerable) = try runner.plan()
        let requests = pending.count - answerable
        let bytes = pending.prefix(50).compactMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int }
        let workload = JudgeWorkload(requests: requests, samplePrompt: try store.prompts(of: run.set).first,
                                     meanImageBytes: bytes.isEmpty ? 0 : bytes.reduce(0, +) / bytes.count)
        var line = "dry run: \(requests) requests would be sent for run \(run.name) (\(pending.count) items pending, \(answerable) answered from the store)"
        if let estimate = await judge.estimate(workload) {
            if let tokens = estimate.tokens {
                line += "; about \(tokens.input) input and \(tokens.output) output tokens"
                if let prices = options.prices { line += String(format: ", about %.2f at the given prices", prices.cost(tokens)) }
            }
            if let seconds = estimate.seconds { line += "; about \(formatDuration(seconds))" }
            line += " (estimate: \(estimate.basis))"
        }
        Console.out(line + "\n")
        Console.out("judge: \(judge.spec.judgeDescription)\n")
        for use in try store.judges(of: run) where use.spec.key != judge.spec.key && use.spec.parameters["model"] == judge.spec.parameters["model"] {
            Console.out("note: \(use.judgments) judgments of this run were made by the same model under another configuration (\(use.spec.key.prefix(8))); they are not reused, because: \(specDifferences(use.spec, judge.spec))\n")
        }
        return
    }
    try await judgePass(run, store: store, judge: judge, runner: runner, options: options,
                        description: "judge: \(judge.spec.judgeDescription)" + (made.notes.isEmpty ? "" : "; also differs from the official evaluator: " + made.notes.joined(separator: "; ")))
}
