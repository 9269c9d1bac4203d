import Foundation
import WiseCore

/// A JSON value built by hand, so that studies control key order and write `null` for numbers
/// that do not exist (Codable would leave the key out).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// A Double, or null when absent; non-finite values as the strings "inf", "-inf", "nan".
    public static func num(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
    public static func str(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// Pretty-printed text, two spaces per level, every Double with all the digits needed to read it back.
    public func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), end = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d):
            if d.isNaN { return "\"nan\"" }
            if d.isInfinite { return d > 0 ? "\"inf\"" : "\"-inf\"" }
            return "\(d)"
        case .string(let s): return jsonString(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ $0.isScalar }) { return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]" }
            return "[\n" + items.map { pad + $0.rendered(indent: indent + 1) }.joined(separator: ",\n") + "\n\(end)]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { pad + jsonString($0.0) + ": " + $0.1.rendered(indent: indent + 1) }.joined(separator: ",\n") + "\n\(end)}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

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
