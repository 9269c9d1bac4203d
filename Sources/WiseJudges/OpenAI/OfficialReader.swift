import WiseCore

/// Reads a judge reply exactly as the official WISE evaluators do, quirks included.
///
/// verified (`vllm_eval.py`): the reply is first cleaned as `_chat_completion_via_vllm` does
/// (`re.sub(r"<think>.*?</think>\s*", "", …, flags=re.DOTALL)`, then `re.sub(r"</think>\s*", "", …)`,
/// then `.strip()`; all case-sensitive), then `extract_scores` takes the FIRST match of
/// `\*{0,2}Score\*{0,2}\s*[::]?\s*([01])\b` (case-insensitive) or, failing that, the only match of
/// `(?m)^\s*([01])\s*$` when there is exactly one.
///
/// legacy (`WISE_legacy/gpt_eval.py`): no cleanup; every match of
/// `\*{0,2}(Consistency|Realism|Aesthetic Quality)\*{0,2}\s*[::]?\s*(\d)` (case-insensitive) sets
/// `key = label.lower().replace(" ", "_")` to `float(digit)`, the last match winning; only when no
/// label matched at all, three or more matches of `(?m)^\s*([0-2])\s*$` give the three aspects in
/// order. A reply is usable when every required key is present, as `evaluate_image` decides.
///
/// The patterns are reproduced by hand on Unicode scalars (Python code points), with Python's
/// meanings: `\s` is `str.isspace()`, `\d` is any decimal digit (category Nd; `float()` reads its
/// value, so `Consistency: ٢` is 2 and `Consistency: 7` is 7), `\b` separates `str.isalnum()`/`_`
/// from the rest, `^`/`$` under `(?m)` sit at the ends and next to `\n` only, and case-insensitive
/// `s` also matches `ſ` (U+017F) and `i` also `İ` (U+0130) and `ı` (U+0131). A legacy label matched
/// through one of those gives a key that is not a required one (`'ſ'.lower()` is `'ſ'`), yet it
/// still counts as a label and so still stops the bare-number fallback.
public enum OfficialReader {
    /// The outcome the official code reaches for one reply: its scores, or why it would ask again.
    public static func read(_ reply: String, scoringProtocol: ScoringProtocol) -> ReadingOutcome {
        switch scoringProtocol {
        case .verified: return readVerified(cleanedScalars(reply), raw: reply)
        case .legacy: return readLegacy(Array(reply.unicodeScalars))
        }
    }

    /// The text the official code reads: for verified, the reply after its `<think>` cleanup and
    /// `.strip()`; for legacy, the reply itself.
    public static func clean(_ reply: String, scoringProtocol: ScoringProtocol) -> String {
        switch scoringProtocol {
        case .legacy: return reply
        case .verified:
            var view = String.UnicodeScalarView()
            view.append(contentsOf: cleanedScalars(reply))
            return String(view)
        }
    }

    // MARK: - verified

    static func readVerified(_ text: [Unicode.Scalar], raw: String) -> ReadingOutcome {
        if text.isEmpty {
            return .unreadable(reason: raw.unicodeScalars.contains(where: { !isSpace($0) })
                               ? "empty reply after removing <think> reasoning" : "empty reply")
        }
        var i = 0
        while i + 5 <= text.count {
            if matches(scoreLabel, in: text, at: i),
               let digit = tail(text, from: i + scoreLabel.count, wordBoundary: true, value: binaryValue) {
                return .scores(AspectScores(["score": digit.value]))
            }
            i += 1
        }
        let bare = bareLines(text, value: binaryValue, limit: 2)
        if bare.count == 1 { return .scores(AspectScores(["score": bare[0]])) }
        return .unreadable(reason: bare.isEmpty ? "no Score label followed by 0 or 1, and no bare 0/1 line"
                                                : "no Score label followed by 0 or 1, and more than one bare 0/1 line")
    }

    /// The verified cleanup: `<think>…</think>` blocks and the whitespace after them, then every
    /// `</think>` left and the whitespace after it, then surrounding whitespace.
    static func cleanedScalars(_ reply: String) -> [Unicode.Scalar] {
        var text = Array(reply.unicodeScalars)
        // Both substitutions need a "</think>"; without one they change nothing.
        if find(closeTag, in: text, from: 0) != nil {
            text = removeThinkBlocks(text)
            text = removeCloseTags(text)
        }
        var start = 0, end = text.count
        while start < end, isSpace(text[start]) { start += 1 }
        while end > start, isSpace(text[end - 1]) { end -= 1 }
        return start == 0 && end == text.count ? text : Array(text[start..<end])
    }

    /// `re.sub(r"<think>.*?</think>\s*", "", text, flags=re.DOTALL)`.
    static func removeThinkBlocks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while let open = find(openTag, in: text, from: i), let close = find(closeTag, in: text, from: open + openTag.count) {
            out.append(contentsOf: text[i..<open])
            i = skipSpaces(text, from: close + closeTag.count)
        }
        out.append(contentsOf: text[i...])
        return out
    }

    /// `re.sub(r"</think>\s*", "", text)`.
    static func removeCloseTags(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while let close = find(closeTag, in: text, from: i) {
            out.append(contentsOf: text[i..<close])
            i = skipSpaces(text, from: close + closeTag.count)
        }
        out.append(contentsOf: text[i...])
        return out
    }

    // MARK: - legacy

    static func readLegacy(_ text: [Unicode.Scalar]) -> ReadingOutcome {
        if !text.contains(where: { !isSpace($0) }) { return .unreadable(reason: "empty reply") }
        var values: [String: Double] = [:]
        var labelMatches = 0, otherKeys = 0
        var i = 0
        // re.findall: each match ends at its digit, and the scan goes on after it.
        scan: while i < text.count {
            for label in legacyLabels where matches(label.pattern, in: text, at: i) {
                if let digit = tail(text, from: i + label.pattern.count, wordBoundary: false, value: decimalValue) {
                    labelMatches += 1
                    if text[i..<(i + label.pattern.count)].allSatisfy(\.isASCII) {
                        values[label.key] = digit.value
                    } else {
                        otherKeys += 1
                    }
                    i = digit.end
                    continue scan
                }
            }
            i += 1
        }
        let keys = ScoringProtocol.legacy.aspects
        if labelMatches > 0 {
            let missing = keys.filter { values[$0] == nil }
            if missing.isEmpty { return .scores(AspectScores(values)) }
            let note = otherKeys == 0 ? "" : " (\(otherKeys) spelt with ſ, İ or ı, which give other keys)"
            return .unreadable(reason: "labels found but missing \(list(missing))\(note)")
        }
        let bare = bareLines(text, value: ternaryValue, limit: 3)
        if bare.count == 3 {
            return .scores(AspectScores(Dictionary(uniqueKeysWithValues: zip(keys, bare))))
        }
        return .unreadable(reason: "no Consistency, Realism or Aesthetic Quality label followed by a digit, "
                                   + "and \(bare.count) bare 0–2 line\(bare.count == 1 ? "" : "s") (3 needed)")
    }

    static let legacyLabels: [(key: String, pattern: [CaseSet])] = [
        ("consistency", caseSets("Consistency")),
        ("realism", caseSets("Realism")),
        ("aesthetic_quality", caseSets("Aesthetic Quality")),
    ]

    // MARK: - shared pieces of the patterns

    /// The code points one pattern letter matches under Python's `re.IGNORECASE`.
    struct CaseSet: Sendable {
        var upper: Unicode.Scalar
        var lower: Unicode.Scalar
        var extra: [Unicode.Scalar]

        func contains(_ c: Unicode.Scalar) -> Bool { c == lower || c == upper || extra.contains(c) }
    }

    /// The letters of a label as case sets (checked against Python over every code point).
    static func caseSets(_ label: String) -> [CaseSet] {
        label.unicodeScalars.map { c in
            let v = c.value
            let lower = Unicode.Scalar((0x41...0x5A).contains(v) ? v + 32 : v)!
            let upper = Unicode.Scalar((0x61...0x7A).contains(v) ? v - 32 : v)!
            switch lower {
            case "s": return CaseSet(upper: upper, lower: lower, extra: ["\u{017F}"])
            case "i": return CaseSet(upper: upper, lower: lower, extra: ["\u{0130}", "\u{0131}"])
            default: return CaseSet(upper: upper, lower: lower, extra: [])
            }
        }
    }

    static let scoreLabel = caseSets("Score")
    static let openTag = Array("<think>".unicodeScalars)
    static let closeTag = Array("</think>".unicodeScalars)

    static func matches(_ pattern: [CaseSet], in text: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + pattern.count <= text.count else { return false }
        for k in 0..<pattern.count where !pattern[k].contains(text[i + k]) { return false }
        return true
    }

    /// `\*{0,2}\s*[::]?\s*(digit)` (then `\b` when asked) from `i`: the digit's value and the end.
    /// Each piece has one way to match (what precedes the digit is never a digit), so no
    /// backtracking can change the outcome.
    static func tail(_ text: [Unicode.Scalar], from start: Int, wordBoundary: Bool,
                     value: (Unicode.Scalar) -> Double?) -> (value: Double, end: Int)? {
        var j = start
        if j < text.count, text[j] == "*" { j += 1 }
        if j < text.count, text[j] == "*" { j += 1 }
        j = skipSpaces(text, from: j)
        if j < text.count, text[j] == ":" { j = skipSpaces(text, from: j + 1) }
        guard j < text.count, let v = value(text[j]) else { return nil }
        if wordBoundary, j + 1 < text.count, isWord(text[j + 1]) { return nil }
        return (v, j + 1)
    }

    /// The values of `re.findall(r"(?m)^\s*(digit)\s*$", text)`, up to `limit` of them.
    static func bareLines(_ text: [Unicode.Scalar], value: (Unicode.Scalar) -> Double?, limit: Int) -> [Double] {
        var found: [Double] = []
        let n = text.count
        var p = 0
        while p <= n, found.count < limit {
            guard p == 0 || text[p - 1] == "\n" else { p += 1; continue }
            let d = skipSpaces(text, from: p)
            // Every start from p up to d reaches the same d, so when it fails they all fail.
            guard d < n, let v = value(text[d]) else { p = d + 1; continue }
            // `\s*` takes the whole run, then gives back until `$` (end, or before "\n") holds.
            var q = skipSpaces(text, from: d + 1)
            while q > d, q < n, text[q] != "\n" { q -= 1 }
            guard q > d else { p = d + 1; continue }
            found.append(v)
            p = q
        }
        return found
    }

    static func binaryValue(_ c: Unicode.Scalar) -> Double? {
        c == "0" ? 0 : c == "1" ? 1 : nil
    }

    static func ternaryValue(_ c: Unicode.Scalar) -> Double? {
        c == "0" ? 0 : c == "1" ? 1 : c == "2" ? 2 : nil
    }

    /// Python's `\d` and `float()` on one code point: any decimal digit (category Nd) and its value.
    static func decimalValue(_ c: Unicode.Scalar) -> Double? {
        if c.isASCII {
            let v = c.value
            return v >= 0x30 && v <= 0x39 ? Double(v - 0x30) : nil
        }
        guard c.properties.numericType == .decimal else { return nil }
        return c.properties.numericValue
    }

    /// Python's `\s` (and `str.isspace()`, which `.strip()` uses).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// A word character for Python's `\b`: `str.isalnum()` (letters Lu/Ll/Lt/Lm/Lo, or any numeric) or `_`.
    static func isWord(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        let properties = c.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return properties.numericType != nil
        }
    }

    static func skipSpaces(_ text: [Unicode.Scalar], from start: Int) -> Int {
        var j = start
        while j < text.count, isSpace(text[j]) { j += 1 }
        return j
    }

    /// The first position at or after `start` where `needle` occurs exactly (case-sensitive).
    static func find(_ needle: [Unicode.Scalar], in text: [Unicode.Scalar], from start: Int) -> Int? {
        guard let first = needle.first, text.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= text.count {
            if text[i] == first {
                var k = 1
                while k < needle.count, text[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ names: [String]) -> String {
        names.count <= 2 ? names.joined(separator: " and ") : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
