import Foundation

/// One text for each JSON value, so that equal values spelled differently compare equal.
///
/// Used where JSON is part of an identity (a judge's request settings): `{"a": 1}`, `{"a":1}`
/// and `{"a":1.0}` are the same value and give the same canonical text. The rules:
/// - no whitespace; object keys sorted by their UTF-8 bytes; a key given twice keeps its last value;
/// - strings re-escaped the one way (`\"`, `\\`, `\n`, `\r`, `\t`, other controls as `\u00XX`,
///   everything else as UTF-8), after decoding every escape, `\uD83D\uDE00` pairs included;
/// - numbers as the shortest text that reads back as the same double, integral values within
///   ±2^53 without a fraction (`1.0` → `1`, `-0` → `0`, `1e2` → `100`, `0.10` → `0.1`);
/// - `true`, `false`, `null` as they are.
public enum CanonicalJSON {
    /// The canonical text of a JSON value; throws `DataError` for text that is not JSON.
    public static func canonicalize(_ text: String) throws -> String {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    /// The members of a JSON object, each value in canonical form, in the order keys first appear
    /// (a key given twice keeps its first place and its last value); throws `DataError` for text
    /// that is not one JSON object.
    public static func members(ofObject text: String) throws -> [(key: String, json: String)] {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("it is empty") }
        guard parser.bytes[parser.index] == UInt8(ascii: "{") else { throw parser.error("it does not start with '{'") }
        let members = try parser.objectMembers(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the object") }
        return members
    }

    /// The canonical text of a number written in JSON syntax.
    public static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 { return String(Int64(value)) }
        return value.description
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ reason: String) -> DataError {
            DataError("not valid JSON at byte \(index): \(reason)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws -> String {
            guard depth < 512 else { throw error("nested too deeply") }
            guard index < bytes.count else { throw error("a value is missing") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                let members = try objectMembers(depth: depth)
                let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
                return "{" + sorted.map { jsonString($0.key) + ":" + $0.json }.joined(separator: ",") + "}"
            case UInt8(ascii: "["):
                index += 1
                var items: [String] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return "[]" }
                while true {
                    skipWhitespace()
                    items.append(try value(depth: depth + 1))
                    skipWhitespace()
                    guard index < bytes.count else { throw error("the array is not closed") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                    index += 1
                    break
                }
                return "[" + items.joined(separator: ",") + "]"
            case UInt8(ascii: "\""):
                return jsonString(try string())
            case UInt8(ascii: "t"): return try word("true")
            case UInt8(ascii: "f"): return try word("false")
            case UInt8(ascii: "n"): return try word("null")
            default:
                return try numberText()
            }
        }

        /// An object at `index` (which holds `{`): its members with canonical values, in first-appearance order.
        mutating func objectMembers(depth: Int) throws -> [(key: String, json: String)] {
            index += 1
            var members: [(key: String, json: String)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return [] }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
                index += 1
                skipWhitespace()
                let v = try value(depth: depth + 1)
                if let existing = members.firstIndex(where: { $0.key == key }) { members[existing].json = v } else { members.append((key, v)) }
                skipWhitespace()
                guard index < bytes.count else { throw error("the object is not closed") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                index += 1
                return members
            }
        }

        mutating func word(_ w: String) throws -> String {
            let w8 = Array(w.utf8)
            guard index + w8.count <= bytes.count, Array(bytes[index..<(index + w8.count)]) == w8 else { throw error("unknown word") }
            index += w8.count
            return w
        }

        mutating func numberText() throws -> String {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else { throw error("expected a value") }
            if bytes[digitsStart] == 0x30 && index - digitsStart > 1 { throw error("a number has a leading zero") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let fraction = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard index > fraction else { throw error("a number has no digits after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard index > exponent else { throw error("a number has no exponent digits") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw error("the number \(text) is out of range") }
            return CanonicalJSON.number(value)
        }

        /// A quoted string with every escape decoded.
        mutating func string() throws -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run = index
            func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    flush(index); index += 1
                    return String(scalars)
                }
                if b < 0x20 { throw error("a control character inside a string") }
                if b != UInt8(ascii: "\\") { index += 1; continue }
                flush(index)
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("a lone surrogate") }
                    scalars.append(scalar)
                default: throw error("an unknown escape")
                }
                run = index
            }
            throw error("a string is not closed")
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
                throw error("a bad \\u escape")
            }
            index += 4
            return v
        }
    }
}
