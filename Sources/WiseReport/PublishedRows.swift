import Foundation
import WiseCore

/// The published board's rows beside a board of runs (`wise report --published`): each printed
/// value as published, without intervals, and for a run named like a published model, how far the
/// run lands from it and whether the published value lies inside the run's interval.
///
/// A published value printed with d decimals is read as rounded: it stands for anything within
/// half a unit of its last decimal, and "inside" means that span meets the run's interval.
public struct PublishedRows: Sendable {
    public let board: UncertainBoard
    public let published: PublishedBoard

    public init(board: UncertainBoard, published: PublishedBoard) {
        self.board = board; self.published = published
    }

    /// A run and the published row named like it.
    public struct Match: Sendable, Equatable {
        public var run: String
        public var model: String
        /// The run's overall minus the published overall as printed.
        public var difference: Double?
        /// Whether the published overall (with its rounding) meets the run's interval; nil without one.
        public var inside: Bool?
    }

    /// Every run whose name matches exactly one published model (letters and digits, any case).
    public var matches: [Match] {
        board.rows.compactMap { row in
            guard let published = published.row(named: row.run.name) else { return nil }
            let estimate = row.run.summary.score.overall
            let value = published.overall
            let difference = estimate.flatMap { e in value.map { e - $0.value } }
            let inside = row.overall.flatMap { interval in
                value.map { v in v.value + v.halfUnit >= interval.lower - 1e-12 && v.value - v.halfUnit <= interval.upper + 1e-12 }
            }
            return Match(run: row.run.name, model: published.model, difference: difference, inside: inside)
        }
    }

    /// The published rows as a table, then one line per matched run.
    public func render(decimals: Int?, markdown: Bool) -> String {
        let places = decimals ?? board.board.defaultDecimals
        let headers = ["Model", "Overall"] + Category.allCases.map(\.title)
        let rows = published.rows.map { row -> [String] in
            [row.model + " (published)", row.overall?.text ?? "—"] + Category.allCases.map { row.categories[$0]?.text ?? "—" }
        }
        var out = "\npublished \(board.board.scoringProtocol.rawValue) board \(published.label): \(published.rows.count) rows as printed, marked (published), without intervals"
        if let decimalsPrinted = published.rows.first?.overall?.decimals {
            out += "; values printed with \(decimalsPrinted) decimals are read as rounded (±\(String(format: "%g", 0.5 * pow(10, -Double(decimalsPrinted)))))"
        }
        out += "\n"
        out += markdown ? markdownTable(headers, rows) : textTable(headers, rows)
        for match in matches {
            let sign = (match.difference ?? 0) >= 0 ? "+" : ""
            let difference = match.difference.map { sign + String(format: "%.\(places)f", $0) } ?? "—"
            let inside = match.inside.map { $0 ? "inside" : "outside" } ?? "not tested (no interval: --resamples 0 or no overall)"
            out += "\(match.run) vs published \(match.model): run − published = \(difference); the published value lies \(inside) the run's interval\n"
        }
        return out
    }
}
