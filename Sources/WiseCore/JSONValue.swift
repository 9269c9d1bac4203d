import Foundation

/// Any JSON value, the one shape the project uses where Codable does not fit: free-form options
/// (decoded from model registries and `--option k=v`) and study output built by hand, where key
/// order is chosen and `null` is written for numbers that do not exist (Codable would leave the key out).
public indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// Reads any JSON value; an object's members come in key order.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
    }

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

    /// Compact canonical text: keys sorted, numbers as `CanonicalJSON` writes them (for identities).
    public var json: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? CanonicalJSON.number(d) : "null"
        case .string(let s): return jsonString(s)
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let fields):
            let sorted = fields.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            return "{" + sorted.map { jsonString($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

extension JSONValue {
    /// Reads JSON that came from outside wise (a catalogue, a score file, a worker's reply) so that
    /// a caller can say exactly what is wrong with a field.
    ///
    /// Unlike `init(from:)`, which reads every number as a Double, an integer literal stays `.int`
    /// (JSONDecoder reads `12.0` and `1e2` as integers too, as Python does for a dictionary key);
    /// an object's members come sorted by key, a key given twice keeps its first value. Throws a
    /// `DataError` saying why for text that is not JSON, nested deeper than JSONDecoder allows
    /// (512 levels), or holding a string that is not UTF-8 or a number no Double can hold.
    public static func read(_ data: Data) throws -> JSONValue {
        do { return try JSONDecoder().decode(Strict.self, from: data).value } catch let error as DecodingError {
            throw DataError(describe(error))
        }
    }

    /// Reads JSON text as `read(_:)` does.
    public static func read(_ text: String) throws -> JSONValue { try read(Data(text.utf8)) }

    /// A decoding error in a few words: what was wrong and, when known, where.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            return "not valid JSON" + place(context.codingPath)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "a value that cannot be read (a number out of range, or text that is not UTF-8)" + place(context.codingPath)
        case .keyNotFound(let key, let context):
            return "no \(key.stringValue)" + place(context.codingPath)
        @unknown default:
            return "not valid JSON"
        }
    }

    private static func place(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// The decoding behind `read(_:)`: integers before doubles, members sorted.
    private struct Strict: Decodable {
        let value: JSONValue

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { value = .null }
            else if let b = try? container.decode(Bool.self) { value = .bool(b) }
            else if let i = try? container.decode(Int.self) { value = .int(i) }
            else if let d = try? container.decode(Double.self) { value = .number(d) }
            else if let s = try? container.decode(String.self) { value = .string(s) }
            else if let items = try? container.decode([Strict].self) { value = .array(items.map(\.value)) }
            else {
                let members = try container.decode([String: Strict].self)
                value = .object(members.keys.sorted().map { ($0, members[$0]!.value) })
            }
        }
    }

    /// An object's value for `key`, or nil (also when this is not an object).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The integer written as an integer literal; nil for `12.5`, `true`, `"12"` and the rest.
    public var integer: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// A finite number, integer or not; nil for booleans, strings and the rest.
    public var finiteNumber: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d): return d.isFinite ? d : nil
        default: return nil
        }
    }

    /// Whether this is an object.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// The string, when this is one.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A short rendering for messages: `"641"` (quoted, at most 40 characters), `641.5`, `true`, `null`, `an array`, `an object`.
    public var literal: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return "\(d)"
        case .string(let s): return "\"\(s.prefix(40))\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
