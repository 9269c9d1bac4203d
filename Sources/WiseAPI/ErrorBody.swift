import Foundation

/// Reads the message an API's error reply carries, wherever the common servers put it.
public enum ErrorBody {
    /// The shapes servers use: `{"error": {"message"}}` (OpenAI), `{"error": "…"}`, `{"message"}`
    /// (older vLLM) or `{"detail"}` (FastAPI).
    private struct Shape: Decodable {
        struct Inner: Decodable { var message: String? }
        enum ErrorField: Decodable {
            case object(Inner), text(String)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .text(text) } else { self = .object(try container.decode(Inner.self)) }
            }
            var message: String? {
                switch self {
                case .object(let inner): return inner.message
                case .text(let text): return text
                }
            }
        }
        var error: ErrorField?
        var message: String?
        var detail: String?
        enum CodingKeys: CodingKey { case error, message, detail }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // A field of another type is no message; the others may still be one.
            error = try? container.decodeIfPresent(ErrorField.self, forKey: .error)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            detail = try? container.decodeIfPresent(String.self, forKey: .detail)
        }
    }

    /// The error codes with which image APIs decline a prompt on their content policy (OpenAI's
    /// `content_policy_violation` for DALL·E, `moderation_blocked` for GPT Image).
    public static let contentPolicyCodes: Set<String> = ["content_policy_violation", "moderation_blocked"]

    /// Whether an error reply says the request was declined on content policy (`error.code` or `error.type`).
    public static func isContentPolicyRefusal(_ body: Data) -> Bool {
        struct Coded: Decodable {
            struct Inner: Decodable { var code: String?; var type: String? }
            var error: Inner?
        }
        guard let inner = (try? JSONDecoder().decode(Coded.self, from: body))?.error else { return false }
        return [inner.code, inner.type].contains { $0.map(contentPolicyCodes.contains) ?? false }
    }

    /// The message a JSON error body declares in one of the known fields, as it is; nil when none does.
    public static func declaredMessage(in body: Data) -> String? {
        guard let shape = try? JSONDecoder().decode(Shape.self, from: body) else { return nil }
        return shape.error?.message ?? shape.message ?? shape.detail
    }

    /// The message of an error reply on one line, or the body's first 200 characters; nil for an empty body.
    public static func message(from body: Data) -> String? {
        if let message = declaredMessage(in: body) {
            let line = oneLine(message, limit: 500)
            if !line.isEmpty { return line }
        }
        let text = oneLine(String(decoding: body.prefix(4096), as: UTF8.self), limit: 200)
        return text.isEmpty ? nil : text
    }

    /// Text on one line (whitespace runs become one space), cut to `limit` characters with "…".
    public static func oneLine(_ text: String, limit: Int) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        let line = words.joined(separator: " ")
        return line.count > limit ? String(line.prefix(limit)) + "…" : line
    }
}
