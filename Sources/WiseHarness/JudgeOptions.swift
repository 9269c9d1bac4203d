import ArgumentParser
import Foundation
import WiseCore
import WiseJudges
import WiseReport
import WiseOptions

/// The options that choose and tune a judge; shared by `wise judge`, `wise run` and `wise calibrate`.
///
/// Options common to every judge sit here; each adapter's own options are its option group in
/// `JudgeAdapters`, shown under the adapter's heading in `--help`.
public struct JudgeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The judge adapter: \(JudgeAdapters.names.joined(separator: ", ")) (default openai).", valueName: "name"))
    public var judge: String?

    @OptionGroup public var adapters: JudgeAdapters

    @Option(help: "Requests in flight at once (1–512).")
    public var concurrency = 16

    @Option(help: "Independent judgments per image (for judge-variance studies).")
    public var repeats = 1

    @OptionGroup public var priceOptions: PriceOptions

    @OptionGroup(title: "Drift") public var drift: DriftOptions

    @Flag(help: "Print how many requests would be sent (after the store's cache), what differs from judgments already in the store, and an estimate of tokens and cost (API judges) or time (local judges); send nothing.")
    public var dryRun = false

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    public var progressInterval = 5.0

    @Option(help: ArgumentHelp("A PEM file of the certificate authority that signed the judge server's certificate (default: SSL_CERT_FILE or CURL_CA_BUNDLE when set, else the system's).", valueName: "file"))
    public var caCert: String?

    public init() {}

    public var prices: TokenPrices? { priceOptions.prices }

    public func validate() throws {
        guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be 1…512") }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
        try checkRange("--progress-interval", progressInterval, 0.01...86_400)
    }

    /// The judge the options name (`--judge`, default openai), built for a protocol; every option is checked first.
    public func makeJudge(scoringProtocol: ScoringProtocol,
                          environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MadeJudge {
        let factory = try adapters.registry.factory(named: judge ?? "openai")
        let context = JudgeContext(scoringProtocol: scoringProtocol, environment: environment,
                                   caFile: try certificateAuthority(environment: environment), dryRun: dryRun)
        return try factory.makeJudge(context)
    }

    /// The CA file to trust: `--ca-cert`, else `SSL_CERT_FILE`, else `CURL_CA_BUNDLE`; nil for the system's.
    public func certificateAuthority(environment: [String: String]) throws -> String? {
        let named: (String, String)? = caCert.map { ("--ca-cert", $0) }
            ?? environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : ("SSL_CERT_FILE", $0) }
            ?? environment["CURL_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : ("CURL_CA_BUNDLE", $0) }
        guard let (source, path) = named else { return nil }
        guard PathKind(path) == .file, FileManager.default.isReadableFile(atPath: path) else {
            throw UsageError("\(source) \(path) is not a readable file; name the PEM file of the certificate authority that signed the judge server's certificate")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// The `--price-in` / `--price-out` options that turn judge tokens into a cost.
public struct PriceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Price per million judge input tokens; adds the cost to reports and to a judge dry run.", valueName: "price"))
    public var priceIn: Double?

    @Option(help: ArgumentHelp("Price per million judge output tokens.", valueName: "price"))
    public var priceOut: Double?

    public init() {}

    public func validate() throws {
        if let priceIn { try checkRange("--price-in", priceIn, 0...1e6) }
        if let priceOut { try checkRange("--price-out", priceOut, 0...1e6) }
    }

    public var prices: TokenPrices? {
        guard priceIn != nil || priceOut != nil else { return nil }
        return TokenPrices(input: priceIn ?? 0, output: priceOut ?? 0)
    }
}
