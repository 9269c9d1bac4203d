import ArgumentParser
import Foundation
import WiseCore
import WiseReport
import WiseStore

/// `wise report`: a leaderboard of runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a leaderboard of runs: overall WiScore, the six categories and coverage.",
        discussion: """
            Runs must share one prompt set and protocol. Scores follow the official scripts: a category is the mean over its scored items; the overall exists only when every category has one. JSON and CSV keep full precision; terminal and Markdown round (2 decimals legacy, 4 verified).

            Examples:
              wise report flux-dev sd35 --format md
              wise report flux-dev --format json --out results/flux.json
            """
    )

    @Argument(help: "The runs to compare (default: every run in the store).")
    var runs: [String] = []

    @Option(help: "terminal, md, csv or json.")
    var format: ReportFormat = .terminal

    @Option(help: "Decimals in terminal and Markdown output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var priceOptions: PriceOptions

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let decimals, !(0...15).contains(decimals) { throw ValidationError("--decimals must be 0…15") }
    }

    func run() throws {
        let store = try storeOptions.openReadOnly()
        let names = runs.isEmpty ? try store.runs().map(\.name) : runs
        if names.isEmpty { throw UsageError("the store \(store.path) holds no runs yet; register one with `wise run` or `wise import`") }
        let summaries = try names.map { try store.summary(of: try store.requireRun($0), judgeKey: judge) }
        let board = try Leaderboard(summaries)
        if let out { try refuseStoreFiles(out, option: "--out", store: store.path) }
        try emit(board.render(format, decimals: decimals, prices: priceOptions.prices), to: out)
    }
}

extension ReportFormat: ExpressibleByArgument {}
