import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseReport
import WiseStore

/// `wise report`: a leaderboard of runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a leaderboard of runs: overall WiScore, the six categories, 95% intervals, ranks and coverage.",
        discussion: """
            Runs must share one prompt set and protocol, and (unless --allow-mixed) one fingerprint: catalogue, protocol and judge identity (model, request, rubric hash, reading). Intervals come from a stratified bootstrap over prompts within categories (--resamples, --seed); a run's unscored items do not enter it, and its best and worst possible scores are shown instead. Scores follow the official scripts: a category is the mean over its scored items; the overall exists only when every category has one. JSON and CSV keep full precision; terminal and Markdown round (2 decimals legacy, 4 verified).

            Examples:
              wise report flux-dev sd35 --format md
              wise report flux-dev --format json --out results/flux.json
              wise report flux-dev sd35 --format html --out results/report   # results/report/index.html
            """
    )

    @Argument(help: "The runs to compare (default: every run in the store).")
    var runs: [String] = []

    @Option(help: "terminal, md, csv, json or html (a folder: --out DIR).")
    var format: ReportFormat = .terminal

    @Option(help: "Decimals in terminal and Markdown output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(help: "List the parse-sensitive items instead: judgments whose reply the official and strict readings read differently, with both outcomes and the reply.")
    var parseSensitive = false

    @Flag(help: "Put runs with different fingerprints on one board, marked.")
    var allowMixed = false

    @OptionGroup var studyOptions: StudyOptions

    @OptionGroup var priceOptions: PriceOptions

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let decimals, !(0...15).contains(decimals) { throw ValidationError("--decimals must be 0…15") }
        if studyOptions.resamples < 0 { throw ValidationError("--resamples must be 0 or more") }
        if format == .html && out == nil { throw ValidationError("--format html writes a folder: pass --out DIR") }
    }

    func run() throws {
        let store = try storeOptions.openReadOnly()
        if let out, format != .html { try refuseStoreFiles(out, option: "--out", store: store.path) }
        let runs = self.runs.isEmpty ? try store.runs().map(\.name) : self.runs
        if runs.isEmpty { throw UsageError("the store \(store.path) holds no runs yet; register one with `wise run` or `wise import`") }
        if parseSensitive { return try listParseSensitive(store, runs: runs) }
        for name in runs where judge == nil {
            let uses = try store.judges(of: try store.requireRun(name))
            if uses.count > 1 {
                Console.note("run \(name) has \(uses.count) judges; showing the latest (\(uses.last!.spec.key.prefix(8))); choose one with --judge KEY: "
                             + uses.map { "\($0.spec.key.prefix(8)) \($0.spec.judgeDescription) (\($0.judgments) judgments)" }.joined(separator: "; "))
            }
        }
        let studies = try runs.map { try store.studyRun($0, judgeKey: judge) }
        let board = try UncertainBoard(studies, prompts: try store.prompts(of: studies[0].summary.set),
                                       resamples: studyOptions.resamples, seed: studyOptions.seed, allowMixed: allowMixed)
        switch format {
        case .terminal, .md: try emit(board.renderTerminal(decimals: decimals, markdown: format == .md, prices: priceOptions.prices), to: out)
        case .json: try emit(board.renderJSON(prices: priceOptions.prices), to: out)
        case .csv: try emit(board.board.render(.csv), to: out)
        case .html:
            let report = HTMLReport(board: board, prompts: try store.prompts(of: board.board.set), runs: try studies.map(store.galleryRun))
            let index = try report.write(to: URL(fileURLWithPath: out!))
            Console.note("wrote \(index.path)")
        }
    }

    /// Prints each parse-sensitive judgment: id, repeat, what each reading made of the reply, and the reply.
    func listParseSensitive(_ store: ResultsStore, runs: [String]) throws {
        var out = ""
        for name in runs {
            let run = try store.requireRun(name)
            guard let spec = try store.chooseJudge(of: run, key: judge) else {
                out += "\(name): not judged yet\n"
                continue
            }
            let items = try store.parseSensitiveItems(of: run, judge: spec)
            out += "\(name): \(Set(items.map(\.promptID)).count) parse-sensitive items under judge \(spec.judgeDescription)\n"
            for item in items {
                let reading = spec.parameters["reading"] ?? "counted"
                let others = item.others.sorted { $0.key < $1.key }.map { "\($0.key): \(describe($0.value))" }.joined(separator: "; ")
                let reply = (item.rawReply ?? "").replacingOccurrences(of: "\n", with: "⏎")
                out += "  \(item.promptID) repeat \(item.repeatIndex)  \(reading): \(describe(item.counted))  \(others)  reply: \(reply.prefix(160))\n"
            }
        }
        try emit(out, to: self.out)
    }

    func describe(_ outcome: ReadingOutcome) -> String {
        switch outcome {
        case .scores(let scores): return scores.values.keys.sorted().map { "\($0)=\(formatNumber(scores.values[$0]!))" }.joined(separator: ",")
        case .unreadable(let reason): return "unreadable (\(reason))"
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}
