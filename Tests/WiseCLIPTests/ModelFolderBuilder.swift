import Foundation
@testable import WiseCLIP

/// A JSON value the hostile-file tests can edit and write back, including texts no encoder
/// writes (`NaN`, `1e999`, truncated documents) through `raw`.
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// Written as is.
    case raw(String)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// The value as JSON text (keys sorted, so equal values give equal text).
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? "\(value)" : value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
        case .string(let value): return "\"" + value.unicodeScalars.map { $0 == "\"" ? "\\\"" : $0 == "\\" ? "\\\\" : $0.value < 0x20 ? String(format: "\\u%04x", $0.value) : String($0) }.joined() + "\""
        case .array(let values): return "[" + values.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { JSONValue.string($0).text + ":" + fields[$0]!.text }.joined(separator: ",") + "}"
        case .raw(let text): return text
        }
    }

    /// The member at `key` of an object (nil for anything else); setting it on a non-object
    /// replaces the value with an object.
    subscript(key: String) -> JSONValue? {
        get { if case .object(let fields) = self { return fields[key] } else { return nil } }
        set {
            var fields: [String: JSONValue] = [:]
            if case .object(let existing) = self { fields = existing }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The member at a dotted path (`text_config.hidden_size`).
    subscript(path path: String) -> JSONValue? {
        get { path.split(separator: ".").reduce(Optional(self)) { $0?[String($1)] } }
        set {
            let keys = path.split(separator: ".").map(String.init)
            guard keys.count > 1 else { self[keys[0]] = newValue; return }
            var child = self[keys[0]] ?? .object([:])
            child[path: keys.dropFirst().joined(separator: ".")] = newValue
            self[keys[0]] = child
        }
    }

    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }
}

/// A copy of a fixture model in a temporary folder, with its files as editable values: the
/// hostile-file tests and the fuzzer change one thing and load it.
struct ModelFolder {
    var config: JSONValue
    var preprocessor: JSONValue
    var vocabulary: JSONValue
    var merges: String
    /// The safetensors header as JSON and the data section after it.
    var header: JSONValue
    var data: [UInt8]
    /// When set, replaces the whole safetensors file (header length, truncation tests).
    var rawWeights: [UInt8]?
    /// Text written in place of a JSON file, by file name (for documents that do not parse).
    var rawFiles: [String: String] = [:]

    /// The fixture `name` (tiny-quick by default), read once per process.
    static func fixture(_ name: String = "tiny-quick") throws -> ModelFolder {
        let root = Fixtures.model(name)
        func json(_ file: String) throws -> JSONValue { try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: root + "/" + file))) }
        let weights = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/model.safetensors")))
        let length = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return ModelFolder(
            config: try json("config.json"), preprocessor: try json("preprocessor_config.json"), vocabulary: try json("vocab.json"),
            merges: try String(contentsOfFile: root + "/merges.txt", encoding: .utf8),
            header: try JSONValue.parse(Data(weights[8..<(8 + length)])), data: Array(weights[(8 + length)...]))
    }

    /// The safetensors bytes: length, header, data (or `rawWeights`).
    var weights: [UInt8] {
        if let rawWeights { return rawWeights }
        let json = Array(header.text.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
    }

    /// The byte range of tensor `name` in `data`.
    func range(_ name: String) -> Range<Int> {
        guard case .array(let offsets)? = header[name]?["data_offsets"], case .int(let begin) = offsets[0], case .int(let end) = offsets[1] else { return 0..<0 }
        return begin..<end
    }

    /// Sets value `index` of F32 tensor `name` to `value`.
    mutating func setFloat(_ name: String, _ index: Int, _ value: Float) {
        let at = range(name).lowerBound + 4 * index
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.replaceSubrange(at..<(at + 4), with: $0) }
    }

    /// Writes the folder to `directory` (made if needed) and returns it.
    @discardableResult
    func write(to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let texts = ["config.json": config.text, "preprocessor_config.json": preprocessor.text, "vocab.json": vocabulary.text, "merges.txt": merges]
        for (name, text) in texts { try Data((rawFiles[name] ?? text).utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        try Data(weights).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        return directory
    }

    /// Writes the folder to a fresh temporary directory and loads it.
    func load() throws -> CLIPModel {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try CLIPModel(directory: try write(to: directory), threads: 1)
    }

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "wiseclip-model-\(UUID().uuidString)"
    }
}
