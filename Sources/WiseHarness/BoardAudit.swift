import Foundation
import WiseCore

/// Checks the rows of a published board (or a submitted score file) against what the protocol can
/// produce: each overall against its categories with the protocol's weights, each category score
/// against the fractions reachable with that category's item count, and signs of another protocol.
///
/// Every check works on the numbers as printed: a value printed with d decimals stands for any
/// true value within half a unit of its last decimal. The audit says what it finds; it knows
/// nothing about any particular row.
public struct BoardAudit: Sendable {
    /// Which check a finding comes from.
    public enum Check: String, Sendable, Equatable {
        case unreadable, range, overall, grid, precision, mixedProtocols = "mixed protocols", rank, duplicate
    }

    /// One thing found wrong with one row.
    public struct Finding: Sendable, Equatable {
        public var model: String
        public var line: Int
        public var check: Check
        public var message: String
    }

    public let board: PublishedBoard
    public let scoringProtocol: ScoringProtocol
    /// Items per category in the protocol's prompt set.
    public let counts: [Category: Int]
    public let findings: [Finding]

    /// Audits a board whose rows claim to be scored with `scoringProtocol` over categories of `counts` items.
    public init(board: PublishedBoard, scoringProtocol: ScoringProtocol, counts: [Category: Int]) {
        self.board = board; self.scoringProtocol = scoringProtocol; self.counts = counts
        var findings: [Finding] = []
        let boardDecimals = Self.usualDecimals(board)
        var seen: [String: Int] = [:]
        for row in board.rows {
            findings += Self.audit(row, scoringProtocol: scoringProtocol, counts: counts, boardDecimals: boardDecimals)
            let key = PublishedBoard.normalisedModelName(row.model)
            if let first = seen[key], !key.isEmpty {
                findings.append(Finding(model: row.model, line: row.line, check: .duplicate, message: "the model also has a row on line \(first)"))
            } else { seen[key] = row.line }
        }
        findings += Self.rankFindings(board.rows)
        self.findings = findings.sorted { ($0.line, $0.check.rawValue) < ($1.line, $1.check.rawValue) }
    }

    /// The number of steps one item's score moves in: its scores are multiples of 1/steps
    /// (verified 1, legacy 20: (0.7c + 0.2r + 0.1a)/2 with aspects 0–2).
    public static func stepsPerItem(_ scoringProtocol: ScoringProtocol) -> Int {
        // Every combination of integer aspect values, scored by the protocol itself.
        var combos: [[String: Double]] = [[:]]
        for aspect in scoringProtocol.aspects {
            combos = combos.flatMap { combo in (0...scoringProtocol.maxAspectValue).map { combo.merging([aspect: Double($0)]) { $1 } } }
        }
        let values = combos.map { scoringProtocol.itemScore(AspectScores($0)) }
        for steps in 1...1000 where values.allSatisfy({ abs(($0 * Double(steps)).rounded() - $0 * Double(steps)) < 1e-9 }) {
            return steps
        }
        return 1000
    }

    /// Whether a printed value can be a mean of item scores over `items` items, with between
    /// `scoredAtLeast` and `items` of them scored; and the two nearest reachable values when not.
    public static func reachable(_ value: PublishedBoard.Value, items: Int, scoredAtLeast: Int, steps: Int) -> (ok: Bool, below: Double, above: Double, low: Double, high: Double) {
        var low = Double.infinity, high = -Double.infinity
        // No WISE category has more than a thousand items; anything past a million is not a count.
        guard (1...1_000_000).contains(items), (1...1_000_000).contains(steps) else { return (false, .nan, .nan, .nan, .nan) }
        let lowerBound = max(1, min(scoredAtLeast, items))
        for scored in lowerBound...max(lowerBound, items) {
            let denominator = Double(scored) * Double(steps)
            let kLow = max(0, ((value.value - value.halfUnit) * denominator - 1e-7).rounded(.up))
            let kHigh = min(denominator, ((value.value + value.halfUnit) * denominator + 1e-7).rounded(.down))
            if kLow <= kHigh {
                low = min(low, kLow / denominator)
                high = max(high, kHigh / denominator)
            }
        }
        let denominator = Double(items) * Double(steps)
        let below = (value.value * denominator).rounded(.down) / denominator
        let above = (value.value * denominator).rounded(.up) / denominator
        return (low <= high, below, above, low, high)
    }

    /// The decimals most of the board's numbers are printed with.
    static func usualDecimals(_ board: PublishedBoard) -> Int {
        var tally: [Int: Int] = [:]
        for row in board.rows {
            for value in Array(row.categories.values) + [row.overall].compactMap({ $0 }) { tally[value.decimals, default: 0] += 1 }
        }
        return tally.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 2
    }

    /// The findings of one row.
    static func audit(_ row: PublishedBoard.Row, scoringProtocol: ScoringProtocol, counts: [Category: Int], boardDecimals: Int) -> [Finding] {
        var findings: [Finding] = []
        func add(_ check: Check, _ message: String) { findings.append(Finding(model: row.model, line: row.line, check: check, message: message)) }
        for problem in row.problems { add(.unreadable, problem) }
        let missing = Category.allCases.filter { row.categories[$0] == nil }
        if !missing.isEmpty && row.problems.isEmpty {
            add(.unreadable, "has no \(missing.map(\.rawValue).joined(separator: ", ")) column")
        }
        var named = Category.allCases.compactMap { c in row.categories[c].map { (c.rawValue, $0) } }
        if let overall = row.overall { named.append(("Overall", overall)) }
        for (name, value) in named where value.value < 0 || value.value > 1 {
            add(.range, "\(name) \(value.text) lies outside 0–1")
        }
        let total = counts.values.reduce(0, +)
        let unscored = row.samples.map { total - min(max($0, 0), total) } ?? 0
        let steps = stepsPerItem(scoringProtocol)
        let other = ScoringProtocol.allCases.first { $0 != scoringProtocol } ?? scoringProtocol
        // Rounded to fewer decimals than the board prints: every number ends in zeros.
        let values = Array(row.categories.values) + [row.overall].compactMap { $0 }
        let effective = values.map { significantDecimals($0) }.max() ?? boardDecimals
        let roundedEarlier = !values.isEmpty && values.allSatisfy { $0.decimals == boardDecimals } && effective < boardDecimals
        var explainedByRounding = false
        // Each category on the grid its item count allows.
        var bounds: [Category: (Double, Double)] = [:]
        for category in Category.allCases {
            guard let value = row.categories[category], let items = counts[category], items > 0 else { continue }
            // A count printed per category (the official scripts' "Number of samples") is exact.
            var least = items - unscored, most = items
            if let printed = row.categorySamples[category] {
                if printed > items || printed == 0 {
                    add(.grid, "\(category.rawValue) says \(printed) samples, but the category has \(items) items")
                    continue
                }
                least = printed; most = printed
            }
            let check = reachable(value, items: most, scoredAtLeast: least, steps: steps)
            if check.ok {
                bounds[category] = (check.low, check.high)
                continue
            }
            bounds[category] = (value.value - value.halfUnit, value.value + value.halfUnit)
            let grid = steps == 1 ? "k/\(most)" : "a mean of \(most) item scores in steps of 1/\(steps)"
            var message = "\(category.rawValue) \(value.text) is not \(grid) for any k (nearest \(format(check.below, value.decimals + 2)) and \(format(check.above, value.decimals + 2)))"
            if least < most { message += ", even with up to \(most - least) items unscored" }
            if roundedEarlier {
                let coarse = PublishedBoard.Value(value: value.value, decimals: effective, text: value.text)
                if reachable(coarse, items: most, scoredAtLeast: least, steps: steps).ok {
                    message += "; read as rounded to \(effective) decimals it is reachable"
                    explainedByRounding = true
                }
            }
            let otherSteps = stepsPerItem(other)
            if otherSteps != steps, reachable(value, items: most, scoredAtLeast: least, steps: otherSteps).ok {
                message += "; it is reachable with \(other.rawValue) item scores"
            }
            add(.grid, message)
        }
        // The overall against the weighted categories, each anywhere its rounding allows.
        if let overall = row.overall, bounds.count == Category.allCases.count {
            func range(_ weights: [Category: Double]) -> (Double, Double, Double) {
                var low = 0.0, high = 0.0, centre = 0.0
                for category in Category.allCases {
                    let w = weights[category] ?? 0
                    low += w * (bounds[category]?.0 ?? 0); high += w * (bounds[category]?.1 ?? 0)
                    centre += w * (row.categories[category]?.value ?? 0)
                }
                return (low, high, centre)
            }
            func fits(_ r: (Double, Double, Double)) -> Bool {
                max(r.0, overall.value - overall.halfUnit) <= min(r.1, overall.value + overall.halfUnit) + 1e-9
            }
            let own = range(scoringProtocol.weights)
            if !fits(own) {
                let weights = Category.allCases.map { "\(formatNumber(scoringProtocol.weights[$0] ?? 0))·\($0.rawValue)" }.joined(separator: " + ")
                var message = "Overall \(overall.text) is not \(weights): its categories give \(format(own.2, overall.decimals + 2)) (\(format(own.0, overall.decimals + 2))…\(format(own.1, overall.decimals + 2)) within their rounding)"
                if roundedEarlier {
                    // Read every number as rounded to the fewer decimals: does the overall fit then?
                    let h = 0.5 * pow(10, -Double(effective))
                    let centre = own.2
                    if abs(centre - overall.value) <= 2 * h + 1e-9 {
                        message += "; read as rounded to \(effective) decimals it fits"
                        explainedByRounding = true
                    }
                }
                add(.overall, message)
                let theirs = range(other.weights)
                if fits(theirs) {
                    add(.mixedProtocols, "its Overall \(overall.text) is the \(other.rawValue) weighting of its categories (\(format(theirs.2, overall.decimals + 2))), not the \(scoringProtocol.rawValue) one")
                }
            }
        }
        // Only a row whose numbers fail at the printed precision and pass at the fewer decimals is said to be rounded earlier.
        if roundedEarlier && explainedByRounding {
            add(.precision, "every number is printed with \(boardDecimals) decimals but ends in zeros after \(effective), and numbers that fail at \(boardDecimals) decimals fit when read as rounded to \(effective): the row was likely rounded to \(effective) decimals before it was published")
        }
        return findings
    }

    /// Rows ranked above a row with a higher overall.
    static func rankFindings(_ rows: [PublishedBoard.Row]) -> [Finding] {
        var findings: [Finding] = []
        for row in rows {
            guard let rank = row.rank, let overall = row.overall?.value else { continue }
            if let better = rows.first(where: { ($0.rank ?? Int.max) > rank && ($0.overall?.value ?? -1) > overall && $0.section == row.section }) {
                findings.append(Finding(model: row.model, line: row.line, check: .rank,
                                        message: "ranked \(rank) above \(better.model) (rank \(better.rank ?? 0)) whose Overall \(better.overall?.text ?? "") is higher"))
            }
        }
        return findings
    }

    /// The decimals a value needs once trailing zeros are dropped.
    static func significantDecimals(_ value: PublishedBoard.Value) -> Int {
        guard let dot = value.text.firstIndex(of: ".") else { return 0 }
        return value.text[value.text.index(after: dot)...].reversed().drop { $0 == "0" }.count
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(min(max(decimals, 0), 12))f", value)
    }

    /// The audit as text: what was checked, then one line per finding.
    public func render() -> String {
        let weights = Category.allCases.map { "\($0.rawValue) \(formatNumber(scoringProtocol.weights[$0] ?? 0))" }.joined(separator: ", ")
        let items = Category.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        let flagged = Set(findings.map(\.line)).count
        var out = "audit of \(board.label) as protocol \(scoringProtocol.rawValue)\n"
        out += "  weights: \(weights)\n  items per category: \(items); item scores in steps of 1/\(Self.stepsPerItem(scoringProtocol))\n"
        if board.rows.allSatisfy({ $0.samples == nil && $0.categorySamples.isEmpty }) {
            out += "  the board gives no sample counts: every item of a category is taken as scored\n"
        }
        out += "\(board.rows.count) rows: \(board.rows.count - flagged) pass every check, \(flagged) with \(findings.count) finding\(findings.count == 1 ? "" : "s")\n"
        for finding in findings {
            out += "  line \(finding.line)  \(finding.model)  [\(finding.check.rawValue)] \(finding.message)\n"
        }
        return out
    }
}

extension BoardAudit {
    /// Audits the official board of a protocol (`file` nil) or a board or score file the user names,
    /// and returns the audit; the caller decides what findings mean for the exit status.
    public static func run(file: String?, scoringProtocol: ScoringProtocol) throws -> BoardAudit {
        let location = try CatalogueLocation.fromEnvironment()
        let board: PublishedBoard
        if let file {
            let data = try readUserFile(file, noun: "board", expected: "a Markdown or HTML leaderboard file",
                                        missingHint: "; name a leaderboard such as leadboard.md, or use --protocol alone for the official board",
                                        maxBytes: PublishedBoard.maxBytes)
            board = try PublishedBoard.parse(data, label: file)
        } else {
            board = try location.publishedBoard(for: scoringProtocol)
        }
        return BoardAudit(board: board, scoringProtocol: scoringProtocol, counts: try location.categoryCounts(for: scoringProtocol))
    }
}
