import Foundation
import WiseCore

/// Runs of one set and protocol, side by side, ready to render.
///
/// Runs of different sets or protocols are refused: their numbers are not comparable
/// (the same prompt id names different prompts in legacy and verified from 401 on).
public struct Leaderboard: Sendable {
    public let runs: [RunSummary]
    public let set: PromptSet
    public let scoringProtocol: ScoringProtocol

    public init(_ runs: [RunSummary]) throws {
        guard let first = runs.first else { throw UsageError("no runs to report; name at least one run") }
        for run in runs.dropFirst() {
            if run.set != first.set {
                throw UsageError("cannot put run '\(run.name)' (set \(run.set.rawValue)) on one board with '\(first.name)' (set \(first.set.rawValue)): the same prompt id names different prompts in different sets; report them separately")
            }
            if run.scoringProtocol != first.scoringProtocol {
                throw UsageError("cannot put run '\(run.name)' (protocol \(run.scoringProtocol.rawValue)) on one board with '\(first.name)' (protocol \(first.scoringProtocol.rawValue)): their scores are on different scales; report them separately")
            }
        }
        self.runs = runs
        self.set = first.set
        self.scoringProtocol = first.scoringProtocol
    }

    /// Runs ordered best first (runs without an overall last, by name).
    public var ranked: [RunSummary] {
        runs.enumerated().sorted { a, b in
            switch (a.element.score.overall, b.element.score.overall) {
            case let (x?, y?): return x != y ? x > y : a.offset < b.offset
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }

    /// The decimals the official printouts use: 2 for legacy, 4 for the verified leaderboard.
    public var defaultDecimals: Int { scoringProtocol == .legacy ? 2 : 4 }
}

/// Prices of judge tokens, in currency units per million tokens.
public struct TokenPrices: Sendable, Equatable {
    public var input: Double
    public var output: Double
    public init(input: Double, output: Double) { self.input = input; self.output = output }
    /// The cost of some usage.
    public func cost(_ usage: TokenUsage) -> Double { Double(usage.input) * input / 1e6 + Double(usage.output) * output / 1e6 }
}

/// The output formats of `wise report`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case terminal, md, csv, json
    /// A folder with `index.html`: made by `HTMLReport`, which needs the store's prompts and images.
    case html
}

extension Leaderboard {
    /// Renders the board in a format; `decimals` applies to the human formats (terminal, md).
    public func render(_ format: ReportFormat, decimals: Int? = nil, prices: TokenPrices? = nil) -> String {
        let places = decimals ?? defaultDecimals
        switch format {
        case .terminal: return renderTerminal(places) + usageNotes(prices)
        case .md: return renderMarkdown(places) + usageNotes(prices).split(separator: "\n").map { "- \($0)\n" }.joined()
        case .csv: return renderCSV()
        case .json, .html: return renderJSON(prices)
        }
    }

    /// One line per run that spent judge tokens: the tokens and, with prices, the cost.
    func usageNotes(_ prices: TokenPrices?) -> String {
        ranked.filter { $0.usage != .zero }.map { run in
            let cost = prices.map { String(format: ", cost %.4f", $0.cost(run.usage)) } ?? ""
            return "\(run.name): judge tokens \(run.usage.input) in, \(run.usage.output) out\(cost)\n"
        }.joined()
    }

    static let headers = ["Run", "Overall"] + Category.allCases.map(\.title) + ["Coverage"]

    func cells(_ run: RunSummary, _ places: Int) -> [String] {
        [run.name, fixed(run.score.overall, places)]
            + Category.allCases.map { fixed(run.score.categories[$0]?.score, places) }
            + ["\(run.score.scoredCount)/\(run.score.totalCount)"]
    }

    func renderTerminal(_ places: Int) -> String {
        let rows = [Self.headers] + ranked.map { cells($0, places) }
        let widths = Self.headers.indices.map { c in rows.map { $0[c].count }.max()! }
        var out = "WISE \(set.rawValue) · protocol \(scoringProtocol.rawValue)\n"
        for (i, row) in rows.enumerated() {
            let line = row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
            out += line + "\n"
            if i == 0 { out += widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out + notes()
    }

    func renderMarkdown(_ places: Int) -> String {
        var out = "| " + Self.headers.joined(separator: " | ") + " |\n"
        out += "|" + Self.headers.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
        for run in ranked { out += "| " + cells(run, places).map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
        let notes = notes()
        return out + (notes.isEmpty ? "" : "\n" + notes.split(separator: "\n").map { "- \($0)" }.joined(separator: "\n") + "\n")
    }

    /// Lines naming each run's judge, which models answered, and its parse-sensitive items.
    func judgeLines() -> String {
        var out = ""
        for run in ranked {
            out += "\(run.name): judge \(run.judge?.judgeDescription ?? "none (not judged yet)")\n"
            if run.servedModels.count > 1 {
                out += "\(run.name): the server named \(run.servedModels.count) models within this run: "
                    + run.servedModels.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ") + "\n"
            } else if let only = run.servedModels.first {
                out += "\(run.name): served by \(only.key)\n"
            }
            if run.parseSensitive > 0 {
                out += "\(run.name): \(run.parseSensitive) parse-sensitive items (the official and strict readings differ; list them with `wise report \(run.name) --parse-sensitive`)\n"
            }
        }
        let served = Set(ranked.compactMap { $0.servedModels.count == 1 ? $0.servedModels.first!.key : nil })
        if served.count > 1 {
            out += "the runs on this board were answered by different served models: \(served.sorted().joined(separator: ", "))\n"
        }
        let officials = Set(ranked.compactMap { $0.judge?.parameters["official"] == "yes" })
        if officials.count > 1 { out += "some runs on this board were judged with the official request and some without\n" }
        return out
    }

    /// One line per run whose score does not stand on every prompt.
    func notes() -> String {
        var out = judgeLines()
        for run in ranked where run.score.scoredCount < run.score.totalCount {
            var parts: [String] = []
            for category in Category.allCases {
                guard let c = run.score.categories[category] else { continue }
                let gaps = [("unscored", c.unscored), ("failed", c.failed), ("unjudged", c.unjudged), ("missing", c.missing)].filter { $0.1 > 0 }
                if !gaps.isEmpty { parts.append("\(category.title) " + gaps.map { "\($0.1) \($0.0)" }.joined(separator: ", ")) }
            }
            let overall = run.score.overall == nil ? "; no overall: a category has no scored item" : ""
            out += "\(run.name): \(run.score.totalCount - run.score.scoredCount) of \(run.score.totalCount) not scored (\(parts.joined(separator: "; ")))\(overall)\n"
            if let estimate = estimateNote(run) { out += estimate + "\n" }
        }
        return out
    }

    /// For a run with items not judged yet and an overall: that the overall is an estimate from n of
    /// the set's items, not a full WISE score, and how to complete it.
    func estimateNote(_ run: RunSummary) -> String? {
        guard run.score.overall != nil, run.score.categories.values.contains(where: { $0.unjudged > 0 }) else { return nil }
        return "\(run.name): the overall is an estimate from \(run.score.scoredCount) of \(run.score.totalCount) items (category means with the official weights), not a full WISE score; `wise judge \(run.name)` judges the rest"
    }

    func renderCSV() -> String {
        var header = ["run", "set", "protocol", "judge", "overall"]
        for c in Category.allCases { header += [c.rawValue.lowercased(), "\(c.rawValue.lowercased())_scored", "\(c.rawValue.lowercased())_unscored", "\(c.rawValue.lowercased())_failed", "\(c.rawValue.lowercased())_unjudged", "\(c.rawValue.lowercased())_missing"] }
        var out = header.joined(separator: ",") + "\n"
        for run in ranked {
            var row = [csvField(run.name), run.set.rawValue, run.scoringProtocol.rawValue, csvField(run.judge?.summary ?? ""), run.score.overall.map(full) ?? ""]
            for category in Category.allCases {
                let c = run.score.categories[category] ?? CategoryScore()
                row += [c.score.map(full) ?? "", "\(c.scored)", "\(c.unscored)", "\(c.failed)", "\(c.unjudged)", "\(c.missing)"]
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    func renderJSON(_ prices: TokenPrices?) -> String {
        let runs = ranked.map { run -> String in
            let categories = Category.allCases.map { category -> String in
                let c = run.score.categories[category] ?? CategoryScore()
                return "      \(jsonString(category.rawValue)): {\"score\": \(c.score.map(full) ?? "null"), \"scored\": \(c.scored), \"unscored\": \(c.unscored), \"failed\": \(c.failed), \"unjudged\": \(c.unjudged), \"missing\": \(c.missing)}"
            }.joined(separator: ",\n")
            return """
                {
                  "name": \(jsonString(run.name)),
                  "set": \(jsonString(run.set.rawValue)),
                  "protocol": \(jsonString(run.scoringProtocol.rawValue)),
                  "generator": \(run.generator.canonicalJSON),
                  "judge": \(run.judge?.canonicalJSON ?? "null"),
                  "judge_description": \(run.judge.map { jsonString($0.judgeDescription) } ?? "null"),
                  "official_request": \(run.judge.map { $0.parameters["official"] == "yes" ? "true" : "false" } ?? "null"),
                  "served_models": \(WiseJSON.encode(run.servedModels)),
                  "parse_sensitive": \(run.parseSensitive),
                  "overall": \(run.score.overall.map(full) ?? "null"),
                  "estimate_from_items": \(estimateNote(run) == nil ? "null" : "\(run.score.scoredCount)"),
                  "tokens": {"input": \(run.usage.input), "output": \(run.usage.output)},
                  "cost": \(prices.map { full($0.cost(run.usage)) } ?? "null"),
                  "scored": \(run.score.scoredCount),
                  "total": \(run.score.totalCount),
                  "categories": {
            \(categories)
                  }
                }
            """
        }
        return "{\n  \"set\": \(jsonString(set.rawValue)),\n  \"protocol\": \(jsonString(scoringProtocol.rawValue)),\n  \"weights\": {"
            + Category.allCases.map { "\(jsonString($0.rawValue)): \(full(scoringProtocol.weights[$0]!))" }.joined(separator: ", ")
            + "},\n  \"runs\": [\n" + runs.joined(separator: ",\n") + "\n  ]\n}\n"
    }
}

/// A score with fixed decimals, or "—" when there is none.
func fixed(_ value: Double?, _ places: Int) -> String {
    guard let value else { return "—" }
    return String(format: "%.\(places)f", value)
}

/// A Double with every digit needed to read it back exactly.
func full(_ value: Double) -> String { "\(value)" }

func csvField(_ s: String) -> String {
    s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
