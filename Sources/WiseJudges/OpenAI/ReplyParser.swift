import Foundation
import WiseCore

/// Reads the scores out of a judge model's reply, as the official WISE evaluators do, but stricter.
///
/// Steps, in order:
/// 1. Reasoning is removed: every `<think>…</think>` block (any case, across lines); then, if a
///    `</think>` is left with no opening tag (templates that put `<think>` in the prompt), everything
///    up to and including the last one; then, if a `<think>` is left unclosed (a reply cut off while
///    reasoning), everything from it to the end. Scores written while reasoning never count.
/// 2. legacy: every match of
///    `\*{0,2}(Consistency|Realism|Aesthetic Quality)\*{0,2}\s*[:：]?\s*\*{0,2}\s*(\d+(\.\d+)?)`,
///    case-insensitive, sets its aspect; when an aspect matches more than once the last match wins,
///    as the official dict-update loop does. verified: the same with `Score` alone.
/// 3. If an aspect is still missing, a fallback: the reply is nothing but bare numbers, one per
///    non-empty line (three for legacy, in the order consistency, realism, aesthetic quality; one
///    for verified).
/// 4. Every value must be a whole number in the protocol's range (0–2 or 0–1).
///
/// Where this differs from the official `(\d)` pattern, it does so to refuse rather than to guess:
/// the official reader takes `Consistency: 10` as 1 and `1.5` as 1; here both are unreadable. It
/// also accepts `**Consistency:** 2` (bold closed after the colon), which the official pattern
/// misses and records as 999. Unicode decimal digits (such as full-width `２`) count, as Python's
/// `\d` and `float()` accept them.
public enum ReplyParser {
    /// What a reply yielded: scores for every aspect of the protocol, or why none could be read.
    public enum ParseResult: Sendable, Equatable {
        case scores(AspectScores)
        case unreadable(reason: String)
    }

    /// Reads the scores of one reply under a protocol.
    public static func parse(_ reply: String, scoringProtocol: ScoringProtocol) -> ParseResult {
        guard reply.contains(where: { !$0.isWhitespace }) else { return .unreadable(reason: "empty reply") }
        let (answer, cutOff) = stripReasoning(reply)
        guard answer.contains(where: { !$0.isWhitespace }) else {
            return .unreadable(reason: cutOff ? "reply ends inside an unclosed <think> block, no answer after it"
                                              : "empty reply after removing <think> reasoning")
        }
        let aspects = labels(scoringProtocol)
        let found = labelledValues(in: answer, scoringProtocol: scoringProtocol)
        var texts: [String: String]
        if aspects.allSatisfy({ found[$0.key] != nil }) {
            texts = found
        } else if let bare = bareValues(in: answer, count: aspects.count) {
            texts = Dictionary(uniqueKeysWithValues: zip(aspects.map(\.key), bare))
        } else {
            if scoringProtocol == .verified { return .unreadable(reason: "no Score in reply") }
            let missing = aspects.filter { found[$0.key] == nil }.map(\.label)
            return .unreadable(reason: "no \(list(missing)) score in reply")
        }
        var values: [String: Double] = [:]
        for aspect in aspects {
            let text = texts[aspect.key]!
            switch value(of: text, max: scoringProtocol.maxAspectValue) {
            case .some(let v): values[aspect.key] = Double(v)
            case .none:
                let whole = isWholeNumber(text)
                return .unreadable(reason: whole ? "\(aspect.label) is \(text), outside 0–\(scoringProtocol.maxAspectValue)"
                                                 : "\(aspect.label) is \(text), not a whole number")
            }
        }
        return .scores(AspectScores(values))
    }

    /// Removes reasoning from a reply; also says whether an unclosed `<think>` cut the answer off.
    static func stripReasoning(_ reply: String) -> (answer: String, cutOff: Bool) {
        guard reply.range(of: "think>", options: .caseInsensitive) != nil else { return (reply, false) }
        var text = reply
        text = thinkBlock.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        if let close = text.range(of: "</think>", options: [.caseInsensitive, .backwards]) {
            text = String(text[close.upperBound...])
        }
        if let open = text.range(of: "<think>", options: .caseInsensitive) {
            return (String(text[..<open.lowerBound]), true)
        }
        return (text, false)
    }

    /// The last labelled value of each aspect found in the text, keyed by aspect (as written).
    static func labelledValues(in text: String, scoringProtocol: ScoringProtocol) -> [String: String] {
        let regex = scoringProtocol == .legacy ? legacyPattern : verifiedPattern
        let ns = text as NSString
        var found: [String: String] = [:]
        for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let key: String
            if scoringProtocol == .legacy {
                key = ns.substring(with: match.range(at: 1)).lowercased().replacingOccurrences(of: " ", with: "_")
            } else {
                key = "score"
            }
            found[key] = ns.substring(with: match.range(at: scoringProtocol == .legacy ? 2 : 1))
        }
        return found
    }

    /// The fallback: the numbers of a reply that holds exactly `count` non-empty lines, each a bare integer.
    static func bareValues(in text: String, count: Int) -> [String]? {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard lines.count == count else { return nil }
        for line in lines {
            let digits = line.hasPrefix("-") ? line.dropFirst() : line[...]
            guard !digits.isEmpty, digits.allSatisfy(isDecimalDigit) else { return nil }
        }
        return lines
    }

    /// The integer a captured number stands for, when it is whole and within 0…max.
    static func value(of text: String, max: Int) -> Int? {
        guard !text.hasPrefix("-") else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(isDecimalDigit) else { return nil }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ isDecimalDigit($0) && $0.wholeNumberValue == 0 }) else { return nil }
        }
        var result = 0
        for digit in whole {
            result = result * 10 + digit.wholeNumberValue!
            if result > max { return nil }
        }
        return result
    }

    /// Whether a captured number is whole (`2`, `10`, `2.0`, `-1`), so that a range message fits it.
    static func isWholeNumber(_ text: String) -> Bool {
        let unsigned = text.hasPrefix("-") ? text.dropFirst() : text[...]
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 1 || parts[1].allSatisfy { $0.wholeNumberValue == 0 }
    }

    static func isDecimalDigit(_ c: Character) -> Bool {
        c.unicodeScalars.count == 1 && c.unicodeScalars.first!.properties.numericType == .decimal
    }

    /// The aspects of a protocol, in order, with the label a judge writes for each.
    static func labels(_ scoringProtocol: ScoringProtocol) -> [(key: String, label: String)] {
        switch scoringProtocol {
        case .legacy: return [("consistency", "Consistency"), ("realism", "Realism"), ("aesthetic_quality", "Aesthetic Quality")]
        case .verified: return [("score", "Score")]
        }
    }

    /// "A", "A or B", "A, B or C".
    static func list(_ names: [String]) -> String {
        names.count <= 2 ? names.joined(separator: " or ") : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    private static let thinkBlock = try! NSRegularExpression(pattern: "<think>.*?</think>",
                                                             options: [.caseInsensitive, .dotMatchesLineSeparators])
    private static let legacyPattern = try! NSRegularExpression(
        pattern: #"\*{0,2}(Consistency|Realism|Aesthetic Quality)\*{0,2}\s*[:：]?\s*\*{0,2}\s*(\d+(?:\.\d+)?)"#,
        options: [.caseInsensitive])
    private static let verifiedPattern = try! NSRegularExpression(
        pattern: #"\*{0,2}Score\*{0,2}\s*[:：]?\s*\*{0,2}\s*(\d+(?:\.\d+)?)"#,
        options: [.caseInsensitive])
}
