import ArgumentParser
import Foundation
import WiseCore
import WiseHTTP
import WiseJudges
import WiseReport
import WiseRunner
import WiseStore

/// The options that choose and tune a judge; shared by `wise judge` and `wise run`.
struct JudgeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The judge adapter: \(JudgeRegistry.names.joined(separator: ", ")).", valueName: "name"))
    var judge: String?

    @Option(help: ArgumentHelp("The API root of an OpenAI-compatible server, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("The judge model, e.g. gpt-4o-2024-05-13 (legacy) or Qwen/Qwen3.5-35B-A3B (verified).", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("The environment variable that holds the API key (the key itself is never stored or logged). Without it no key is sent.", valueName: "var"))
    var apiKeyEnv: String?

    @Option(help: "Sampling temperature.")
    var temperature: Double = 0

    @Option(help: "The most tokens a reply may have (default 2000).")
    var maxTokens: Int?

    @Option(help: "A sampling seed, for servers that honour it.")
    var seed: Int?

    @Option(help: ArgumentHelp("A JSON object merged into each request body, e.g. '{\"chat_template_kwargs\": {\"enable_thinking\": false}}' for Qwen3.5 on vLLM.", valueName: "json"))
    var extraBody: String?

    @Option(help: ArgumentHelp("A rubric file to use instead of the built-in one ({prompt} and {explanation} are filled in).", valueName: "file"))
    var rubric: String?

    @Option(help: "Requests in flight at once (1–512).")
    var concurrency = 16

    @Option(help: ArgumentHelp("At most this many requests per minute.", valueName: "n"))
    var rpm: Double?

    @Option(help: ArgumentHelp("At most this many tokens per minute (estimated before, corrected after each request).", valueName: "n"))
    var tpm: Double?

    @Option(help: "Seconds allowed for one request.")
    var timeout: Double = 120

    @Option(help: "Attempts per request on 429, 5xx, timeouts and dropped connections (with exponential backoff).")
    var retries = 6

    @Option(help: ArgumentHelp("The first backoff cap in seconds; it doubles on each retry (Retry-After wins when sent).", valueName: "seconds"))
    var retryBaseDelay = 0.5

    @Option(help: "Times to ask again when a reply holds no readable score, before recording it unscored.")
    var parseAttempts = 3

    @Option(help: "Independent judgments per image (for judge-variance studies).")
    var repeats = 1

    @OptionGroup var priceOptions: PriceOptions

    @Flag(help: "Print how many requests would be sent (after the store's cache) and an estimate of tokens and cost; send nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    var progressInterval = 5.0

    @Option(help: ArgumentHelp("A PEM file of the certificate authority that signed the judge server's certificate (default: SSL_CERT_FILE or CURL_CA_BUNDLE when set, else the system's).", valueName: "file"))
    var caCert: String?

    var prices: TokenPrices? { priceOptions.prices }

    func validate() throws {
        guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be 1…512") }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
        guard (1...100).contains(retries), (1...100).contains(parseAttempts) else { throw ValidationError("--retries and --parse-attempts must be 1…100") }
        try checkRange("--temperature", temperature, 0...2)
        try checkRange("--timeout", timeout, 0.001...86_400)
        try checkRange("--retry-base-delay", retryBaseDelay, 0...3600)
        try checkRange("--progress-interval", progressInterval, 0.01...86_400)
        if let maxTokens, !(1...10_000_000).contains(maxTokens) { throw ValidationError("--max-tokens must be 1…10000000") }
        if let rpm { try checkRange("--rpm", rpm, 0.01...1e9) }
        if let tpm { try checkRange("--tpm", tpm, 1...1e12) }
    }
}

/// Finds judge adapters by name.
enum JudgeRegistry {
    static let names = ["openai"]

    /// Builds the named judge for a protocol, or explains what is missing.
    static func make(_ options: JudgeOptions, scoringProtocol: ScoringProtocol, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Judge, Rubric) {
        let name = options.judge ?? "openai"
        guard names.contains(name) else {
            throw UsageError("unknown judge '\(name)'\(didYouMean(name, among: names)); the judges are \(names.joined(separator: ", "))")
        }
        guard let baseURL = options.baseURL, let model = options.model else {
            throw UsageError("the openai judge needs --base-url URL and --model NAME (e.g. --base-url http://localhost:8000/v1 --model Qwen/Qwen3.5-35B-A3B)")
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
        let rubric = try options.rubric.map { try Rubric.load(from: $0, scoringProtocol: scoringProtocol) } ?? Rubric.builtIn(scoringProtocol)
        var chat = ChatRequestOptions(model: model)
        chat.temperature = options.temperature
        if let maxTokens = options.maxTokens { chat.maxTokens = maxTokens }
        chat.seed = options.seed
        chat.extraBody = options.extraBody
        var configuration = OpenAIJudgeConfiguration(baseURL: baseURL, options: chat, rubric: rubric, apiKey: apiKey)
        configuration.timeout = options.timeout
        configuration.retry = RetryPolicy(maxAttempts: options.retries, baseDelay: options.retryBaseDelay)
        configuration.parseAttempts = options.parseAttempts
        configuration.requestsPerMinute = options.rpm
        configuration.tokensPerMinute = options.tpm
        let transport = HTTPTransport(options: try transportOptions(options))
        return (try OpenAIJudge(configuration, transport: transport), rubric)
    }
}

/// Judges a registered run with the judge the options describe (or one already made from them), then prints its report.
func judgeRun(_ run: StoredRun, store: ResultsStore, options: JudgeOptions, made: (Judge, Rubric)? = nil) async throws {
    let (judge, rubric) = try made ?? JudgeRegistry.make(options, scoringProtocol: run.scoringProtocol)
    let runner = JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: rubric.sha256,
                             options: .init(repeats: options.repeats, concurrency: options.concurrency))
    if options.dryRun {
        let (pending, answerable) = try runner.plan()
        let requests = pending.count - answerable
        let bytes = pending.prefix(50).compactMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int }
        let meanBytes = bytes.isEmpty ? 0 : bytes.reduce(0, +) / bytes.count
        let prompt = try store.prompts(of: run.set).first
        let textBytes = (prompt.map { rubric.render(for: $0).utf8.count } ?? 2000) + 400
        let inputPer = OpenAIJudge.estimateTokens(bodyBytes: textBytes, imageBytes: 0, maxTokens: 0)
        let outputPer = run.scoringProtocol == .legacy ? 16 : 6
        var line = "dry run: \(requests) requests would be sent for run \(run.name) (\(pending.count) items pending, \(answerable) answered from the store); about \(requests * inputPer) input and \(requests * outputPer) output tokens"
        if let prices = options.prices { line += String(format: ", about %.2f at the given prices", prices.cost(TokenUsage(input: requests * inputPer, output: requests * outputPer))) }
        Console.out(line + " (estimate: an image at 765 tokens, mean image \(meanBytes / 1024) KiB)\n")
        return
    }
    try await judgePass(run, store: store, judge: judge, runner: runner, options: options)
}
