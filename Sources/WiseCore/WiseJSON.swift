import Foundation

/// The project's one JSON policy for values that are not on a hot path: Codable, keys sorted,
/// slashes unescaped, so the same value always gives the same text.
public enum WiseJSON {
    /// Encodes a value as compact JSON text with sorted keys.
    ///
    /// Non-finite numbers (a NaN or an infinity a judge measured) are written as the strings
    /// `"NaN"`, `"Infinity"` and `"-Infinity"`, which `decode` reads back as numbers: a record that
    /// holds one is stored as it is, never a reason to stop. Nothing else here can fail to encode;
    /// should an encoder ever throw, the text says so instead of trapping.
    public static func encode<T: Encodable>(_ value: T) -> String {
        do {
            return String(decoding: try encoder().encode(value), as: UTF8.self)
        } catch {
            return "{\"unencodable\":\(jsonString(String(describing: error)))}"
        }
    }

    /// Decodes JSON text written by `encode`; nil when the text is absent or not of that shape.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String?) -> T? {
        guard let text else { return nil }
        return try? decoder().decode(type, from: Data(text.utf8))
    }

    /// The encoder of this policy: keys sorted, slashes unescaped, non-finite numbers as strings;
    /// `pretty` indents for files people read.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// The decoder that reads what `encoder` writes, non-finite numbers included.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}

extension ReadingOutcome: Codable {
    private enum CodingKeys: String, CodingKey { case status, scores, reason }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let scores = try container.decodeIfPresent([String: Double].self, forKey: .scores) {
            self = .scores(AspectScores(scores))
        } else {
            self = .unreadable(reason: try container.decodeIfPresent(String.self, forKey: .reason) ?? "")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .scores(let scores):
            try container.encode(JudgmentStatus.ok.rawValue, forKey: .status)
            try container.encode(scores.values, forKey: .scores)
        case .unreadable(let reason):
            try container.encode(JudgmentStatus.unscored.rawValue, forKey: .status)
            try container.encode(reason, forKey: .reason)
        }
    }
}
