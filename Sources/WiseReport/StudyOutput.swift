import Foundation
import WiseCore
import WiseStats

/// A plain-text table: the first column left-aligned, the others right-aligned, a rule under the header.
func textTable(_ headers: [String], _ rows: [[String]]) -> String {
    let all = [headers] + rows
    let widths = headers.indices.map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
    var out = ""
    for (i, row) in all.enumerated() {
        out += row.enumerated().map { c, cell in
            c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                   : String(repeating: " ", count: max(0, widths[c] - cell.count)) + cell
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        if i == 0 { out += widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n" }
    }
    return out
}

/// A p-value for people: 4 significant digits, or "< 1e-300" style for the tiniest.
func formatP(_ p: Double?) -> String {
    guard let p else { return "—" }
    if p == 0 { return "0" }
    return p < 1e-4 ? String(format: "%.2e", p) : String(format: "%.4f", p)
}

/// An interval as `[0.41, 0.47]`.
func formatInterval(_ lower: Double?, _ upper: Double?, _ places: Int) -> String {
    guard let lower, let upper else { return "—" }
    return "[\(fixed(lower, places)), \(fixed(upper, places))]"
}

/// A signed number with fixed decimals.
func signed(_ value: Double?, _ places: Int) -> String {
    guard let value else { return "—" }
    return (value >= 0 ? "+" : "") + String(format: "%.\(places)f", value)
}

/// A bootstrapped statistic for people: `0.4123 [0.3981, 0.4270]`, or `—`.
func withInterval(_ value: ItemBootstrap.Interval?, _ places: Int) -> String {
    guard let value else { return "—" }
    return "\(fixed(value.estimate, places)) \(formatInterval(value.lower, value.upper, places))"
}

/// A bootstrapped statistic in JSON: estimate, lower, upper, and how many resamples left it undefined.
func intervalJSON(_ value: ItemBootstrap.Interval?) -> JSONValue {
    guard let value else { return .null }
    return .object([("estimate", .number(value.estimate)), ("lower", .num(value.lower)), ("upper", .num(value.upper)),
                    ("undefined_resamples", .int(value.undefined))])
}
