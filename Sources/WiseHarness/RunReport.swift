import Foundation
import WiseCore
import WiseReport
import WiseStore

/// A leaderboard of runs for `wise report`, in any format, or the list of parse-sensitive items.
public struct RunReport {
    /// The store read from.
    public var store: ResultsStore
    /// The runs on the board (every run in the store when none were named).
    public var runs: [String]
    /// Which judge's judgments, by key prefix, adapter or model name (nil: the shared judge that judged the most images).
    public var judgeKey: String?

    /// Adds the published board's rows for the runs' protocol to terminal and Markdown boards (`--published`).
    public var withPublished = false
    /// Where the catalogue (and its published board) is found (the process's own by default).
    public var environment = ProcessInfo.processInfo.environment

    /// Names the runs; a store with no runs is refused.
    public init(store: ResultsStore, runs: [String], judgeKey: String?) throws {
        self.store = store
        self.runs = runs.isEmpty ? try store.runs().map(\.name) : runs
        self.judgeKey = judgeKey
        if self.runs.isEmpty { throw UsageError("the store \(store.path) holds no runs yet; register one with `wise run` or `wise import`") }
    }

    /// Writes the board to `out` (stdout when nil; a folder for HTML), every run read under one
    /// judge they share (noted on stderr), or each under its own with `allowMixed`.
    public func writeBoard(format: ReportFormat, decimals: Int?, prices: TokenPrices?, resamples: Int, seed: UInt64,
                           allowMixed: Bool, out: String?) throws {
        let (studies, note) = try store.studyRuns(runs, judgeKey: judgeKey, allowMixed: allowMixed)
        let board = try UncertainBoard(studies, prompts: try store.prompts(of: studies[0].summary.set),
                                       resamples: resamples, seed: seed, allowMixed: allowMixed)
        if let note { Console.note(note) }
        for study in studies {
            let run = try store.requireRun(study.name)
            if let refusals = try RefusalSummary(store: store, run: run, judgeKey: study.summary.judge?.key ?? judgeKey) { Console.note(refusals.line) }
        }
        switch format {
        case .terminal, .md:
            var text = board.renderTerminal(decimals: decimals, markdown: format == .md, prices: prices)
            if withPublished {
                let published = try CatalogueLocation.fromEnvironment(environment).publishedBoard(for: board.board.scoringProtocol)
                text += PublishedRows(board: board, published: published).render(decimals: decimals, markdown: format == .md)
            }
            try emit(text, to: out)
        case .json: try emit(board.renderJSON(prices: prices), to: out)
        case .csv: try emit(board.board.render(.csv), to: out)
        case .html:
            let manifest = try CatalogueLocation.fromEnvironment(environment).manifest
            let footer = HTMLReport.Footer(version: WiseVersion.current, catalogue: "\(manifest.repository)@\(manifest.commit.prefix(7))", date: Date())
            let report = HTMLReport(board: board, prompts: try store.prompts(of: board.board.set), runs: try studies.map(store.galleryRun), footer: footer)
            let written = try report.write(to: URL(fileURLWithPath: out!))
            Console.note("wrote \(written.index.path) and \(written.pages.count) gallery pages (thumbnails: \(written.thumbnailsMade) made, \(written.thumbnailsReused) reused)")
        }
    }

    /// Each parse-sensitive judgment: id, repeat, what each reading made of the reply, and the reply.
    public func parseSensitive() throws -> String {
        var out = ""
        for name in runs {
            let run = try store.requireRun(name)
            guard let spec = try store.chooseJudge(of: run, key: judgeKey) else {
                out += "\(name): not judged yet\n"
                continue
            }
            let items = try store.parseSensitiveItems(of: run, judge: spec)
            out += "\(name): \(Set(items.map(\.promptID)).count) parse-sensitive items under judge \(spec.judgeDescription)\n"
            for item in items {
                let reading = spec.parameters["reading"] ?? "counted"
                let others = item.others.sorted { $0.key < $1.key }.map { "\($0.key): \(Self.describe($0.value))" }.joined(separator: "; ")
                let reply = (item.rawReply ?? "").replacingOccurrences(of: "\n", with: "⏎")
                out += "  \(item.promptID) repeat \(item.repeatIndex)  \(reading): \(Self.describe(item.counted))  \(others)  reply: \(reply.prefix(160))\n"
            }
        }
        return out
    }

    /// One reading's outcome: its scores, or why it could not read the reply.
    static func describe(_ outcome: ReadingOutcome) -> String {
        switch outcome {
        case .scores(let scores): return scores.values.keys.sorted().map { "\($0)=\(formatNumber(scores.values[$0]!))" }.joined(separator: ",")
        case .unreadable(let reason): return "unreadable (\(reason))"
        }
    }
}
