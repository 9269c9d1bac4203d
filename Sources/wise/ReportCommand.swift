import ArgumentParser
import WiseHarness
import WiseReport

/// `wise report`: a leaderboard of runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a leaderboard of runs: overall WiScore, the six categories, 95% intervals, ranks and coverage.",
        discussion: """
            Runs must share one prompt set and protocol, and (unless --allow-mixed) one fingerprint: catalogue, protocol and judge identity (model, request, rubric hash, reading). Every run is read under one judge they all share, said on stderr: the one --judge names, else the one that judged the most images (so a variance study on a few items or a second judge does not change it). Intervals come from a stratified bootstrap over prompts within categories (--resamples, --seed); a run's unscored items do not enter it, and its best and worst possible scores are shown instead. Scores follow the official scripts: a category is the mean over its scored items; the overall exists only when every category has one. JSON and CSV keep full precision; terminal and Markdown round (2 decimals legacy, 4 verified).

            Examples (an HTML report is a folder, opened at results/report/index.html):
              wise report flux-dev sd35 --format md
              wise report flux-dev sd35 --judge gpt-4.1   # a judge by model or key
              wise report flux-1-dev --published   # beside the official board
              wise report flux-dev --format json --out results/flux.json
              wise report flux-dev sd35 --format html --out results/report
            """
    )

    @Argument(help: "The runs to compare (default: every run in the store).")
    var runs: [String] = []

    @Option(help: "terminal, md, csv, json or html (a folder: --out DIR, with index.html, a gallery page per run with images, and thumbnails).")
    var format: ReportFormat = .terminal

    @Option(help: "Decimals in terminal and Markdown output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix, adapter or model name (default: the judge every run shares that judged the most images).", valueName: "key"))
    var judge: String?

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(help: "List the parse-sensitive items instead: judgments whose reply the official and strict readings read differently, with both outcomes and the reply.")
    var parseSensitive = false

    @Flag(help: "Add the official published board's rows for the runs' protocol (marked, without intervals), and for a run named like a published model, the difference and whether the published value lies inside the run's interval (terminal and md).")
    var published = false

    @Flag(help: "Put runs with different fingerprints on one board, marked; runs that share no judge are then each read under their own.")
    var allowMixed = false

    @OptionGroup var studyOptions: StudyOptions

    @OptionGroup var priceOptions: PriceOptions

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let decimals, !(0...15).contains(decimals) { throw ValidationError("--decimals must be 0…15") }
        if studyOptions.resamples < 0 { throw ValidationError("--resamples must be 0 or more") }
        if published && ![.terminal, .md].contains(format) { throw ValidationError("--published adds rows to terminal and md boards; use --format terminal or md") }
        if format == .html && out == nil { throw ValidationError("--format html writes a folder: pass --out DIR") }
    }

    func run() throws {
        let store = try storeOptions.openReadOnly()
        if let out, format != .html { try refuseStoreFiles(out, option: "--out", store: store.path) }
        var report = try RunReport(store: store, runs: runs, judgeKey: judge)
        report.withPublished = published
        if parseSensitive { return try emit(report.parseSensitive(), to: out) }
        try report.writeBoard(format: format, decimals: decimals, prices: priceOptions.prices, resamples: studyOptions.resamples,
                              seed: studyOptions.seed, allowMixed: allowMixed, out: out)
    }
}

extension ReportFormat: ExpressibleByArgument {}
