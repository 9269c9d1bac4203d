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

    @Argument(help: "The runs to compare.")
    var runs: [String]

    @Option(help: "terminal, md, csv or json.")
    var format: ReportFormat = .terminal

    @Option(help: "Decimals in terminal and Markdown output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(help: "List the parse-sensitive items instead: judgments whose reply the official and strict readings read differently, with both outcomes and the reply.")
    var parseSensitive = false

    @OptionGroup var priceOptions: PriceOptions

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run (see `wise runs`)") }
        if let decimals, !(0...15).contains(decimals) { throw ValidationError("--decimals must be 0…15") }
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        if parseSensitive { return try listParseSensitive(store) }
        for name in runs where judge == nil {
            let uses = try store.judges(of: try store.requireRun(name))
            if uses.count > 1 {
                Console.note("run \(name) has \(uses.count) judges; showing the latest (\(uses.last!.spec.key.prefix(8))); choose one with --judge KEY: "
                             + uses.map { "\($0.spec.key.prefix(8)) \($0.spec.judgeDescription) (\($0.judgments) judgments)" }.joined(separator: "; "))
            }
        }
        let summaries = try runs.map { try store.summary(of: try store.requireRun($0), judgeKey: judge) }
        let board = try Leaderboard(summaries)
        try emit(board.render(format, decimals: decimals, prices: priceOptions.prices), to: out)
    }

    /// Prints each parse-sensitive judgment: id, repeat, what each reading made of the reply, and the reply.
    func listParseSensitive(_ store: ResultsStore) throws {
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
