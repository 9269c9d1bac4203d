import Foundation

/// The project's one JSON policy for values that are not on a hot path: Codable, keys sorted,
/// slashes unescaped, so the same value always gives the same text.
public enum WiseJSON {
    /// Encodes a value as compact JSON text with sorted keys.
    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            // Every type encoded here is plain data (strings, numbers, dictionaries of them); a
            // failure means a non-finite number reached a record, which is a bug in wise.
            preconditionFailure("cannot encode \(T.self) as JSON: \(error)")
        }
    }

    /// Decodes JSON text written by `encode`; nil when the text is absent or not of that shape.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(type, from: Data(text.utf8))
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
