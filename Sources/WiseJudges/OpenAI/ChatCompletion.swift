import Foundation
import WiseAPI
import WiseCore

/// The request settings of a chat-completions judge, recorded with its judgments.
///
/// `wise judge` fills these from the official evaluator of the run's protocol (temperature 0.0,
/// `max_tokens` 500 for verified and 2000 for legacy, `chat_template_kwargs` for verified), with
/// each flag replacing its member. `extraBody` is the text of a JSON object whose members are added
/// to the top level of the request body, such as `{"chat_template_kwargs":{"enable_thinking":false}}`;
/// a member named like one wise writes (`temperature`, `max_tokens`, `seed`) replaces it; `model`
/// and `messages` cannot be set this way (`validate()` refuses them). Every member is sent in its
/// canonical JSON form (`CanonicalJSON`), so equal values spelled differently make equal requests
/// and an equal judge identity.
public struct ChatRequestOptions: Sendable, Equatable {
    /// The `max_tokens` of the official legacy evaluator, used when nothing else says.
    public static let defaultMaxTokens = 2000

    /// The model name the API knows the judge by (`gpt-4o-2024-05-13`, `Qwen3.5-35B-A3B`).
    public var model: String
    /// Sampling temperature; 0, as the official evaluators use, for the most repeatable scores.
    public var temperature: Double
    /// The reply's token ceiling (`max_tokens`); nil leaves it out of the request.
    public var maxTokens: Int?
    /// A sampling seed for servers that honour one; nil sends none.
    public var seed: Int?
    /// JSON object text merged into the top level of every request body.
    public var extraBody: String?

    public init(model: String, temperature: Double = 0, maxTokens: Int? = ChatRequestOptions.defaultMaxTokens,
                seed: Int? = nil, extraBody: String? = nil) {
        self.model = model; self.temperature = temperature; self.maxTokens = maxTokens
        self.seed = seed; self.extraBody = extraBody
    }

    /// The top-level members of the request besides `model` and `messages`, by key, each as canonical JSON.
    public func effectiveMembers() throws -> [(key: String, json: String)] {
        var members: [String: String] = ["temperature": CanonicalJSON.number(temperature)]
        if let maxTokens { members["max_tokens"] = String(maxTokens) }
        if let seed { members["seed"] = String(seed) }
        for member in try checkedExtraMembers() { members[member.key] = member.json }
        return members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { ($0, members[$0]!) }
    }

    /// The effective members as one canonical JSON object: part of the judge's identity.
    public func canonicalBody() throws -> String {
        "{" + (try effectiveMembers()).map { jsonString($0.key) + ":" + $0.json }.joined(separator: ",") + "}"
    }

    /// Checks the options before any request is made; throws a one-line `UsageError` naming the flag.
    public func validate() throws {
        _ = try checkedExtraMembers()
    }

    /// Validates everything and returns the members of `extraBody` in canonical form (none when it is absent).
    func checkedExtraMembers() throws -> [(key: String, json: String)] {
        guard !model.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError("--model is empty; name the judge model, e.g. --model gpt-4o-2024-05-13")
        }
        guard temperature.isFinite, temperature >= 0 else {
            throw UsageError("--temperature must be a number of 0 or more, got \(temperature)")
        }
        if let maxTokens, maxTokens < 1 {
            throw UsageError("--max-tokens must be at least 1, got \(maxTokens)")
        }
        guard let extraBody else { return [] }
        let members: [(key: String, json: String)]
        do {
            members = try CanonicalJSON.members(ofObject: extraBody)
        } catch let error as DataError {
            throw UsageError("--extra-body must be a JSON object such as '{\"top_p\":0.9}': \(error.message)")
        }
        for member in members {
            if member.key == "model" || member.key == "messages" {
                throw UsageError("--extra-body may not set \"\(member.key)\"; use --model for the model, a rubric for the messages")
            }
            if member.key == "stream" && member.json != "false" {
                throw UsageError("--extra-body may not turn on \"stream\"; wise reads whole replies")
            }
        }
        return members
    }
}

/// What a chat-completions reply said, with the tokens it cost.
public struct ChatReply: Sendable, Equatable {
    /// The text of `choices[0].message.content`.
    public var content: String
    public var usage: TokenUsage
    /// `choices[0].finish_reason` (`stop`, `length`, …), when the server gave one.
    public var finishReason: String?
    /// The reply's `model` field: which model the server says answered.
    public var model: String?
    /// The reply's `system_fingerprint`, when the server sent one.
    public var systemFingerprint: String?
    /// The endpoint that answered (of several `--base-url` replicas), without user info or query.
    public var endpoint: String?

    public init(content: String, usage: TokenUsage, finishReason: String?, model: String? = nil, systemFingerprint: String? = nil) {
        self.content = content; self.usage = usage; self.finishReason = finishReason
        self.model = model; self.systemFingerprint = systemFingerprint
    }
}

/// A successful HTTP response that holds no usable reply; its description is one line.
public struct ChatResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Tokens the server reported for the failed reply (a reply cut off, say); zero when unknown.
    public var usage: TokenUsage
    public var finishReason: String?

    public init(_ message: String, usage: TokenUsage = .zero, finishReason: String? = nil) {
        self.message = message; self.usage = usage; self.finishReason = finishReason
    }

    public var description: String { message }
}

/// Builds OpenAI `/v1/chat/completions` requests for one image and reads their responses.
public enum ChatCompletion {
    /// The JSON request body that asks the judge to score one image.
    ///
    /// The body is `{"model", "messages": [system?, user: [text, image_url]], "temperature",
    /// "max_tokens"?, "seed"?, …extra body}`; the image travels as a `data:` URL with the MIME type
    /// of its format. The JSON text is written directly (no intermediate objects), because this runs
    /// once per image with megabyte-sized images; numbers are written in their shortest exact form.
    /// Throws `UsageError` when the options are invalid (see `ChatRequestOptions.validate()`).
    public static func requestBody(rubric: Rubric, prompt: Prompt, image: Data, format: ImageFormat,
                                   options: ChatRequestOptions) throws -> Data {
        requestBody(rubric: rubric, prompt: prompt, image: image, format: format, model: options.model,
                    members: try options.effectiveMembers())
    }

    /// The request body with the members already worked out (`ChatRequestOptions.effectiveMembers()`).
    static func requestBody(rubric: Rubric, prompt: Prompt, image: Data, format: ImageFormat,
                            model: String, members: [(key: String, json: String)]) -> Data {
        ChatRequestTemplate(rubric: rubric, model: model, members: members).body(prompt: prompt, image: image, format: format)
    }

    /// Reads the reply text, finish reason and token usage from a chat-completions response body.
    ///
    /// Throws `ChatResponseError` when the body is not JSON, has no choices, or its first choice
    /// has no text content; missing `usage` counts as zero tokens. The body is read by the
    /// project's one strict reader (`JSONValue.read`): a member named twice keeps its first value
    /// (Python's `json` keeps the last; no server sends such replies, and the raw reply is stored).
    public static func parseResponse(_ body: Data) throws -> ChatReply {
        guard !body.isEmpty else { throw ChatResponseError("empty response body") }
        let top: JSONValue
        do { top = try JSONValue.read(body) } catch {
            throw ChatResponseError("response is not JSON: \(quote(body, limit: 80))")
        }
        guard top.isObject else {
            throw ChatResponseError("response is not a JSON object: \(quote(body, limit: 80))")
        }
        let usage = tokenUsage(top["usage"])
        let model = top["model"]?.string.map { oneLine($0, limit: 200) }
        let fingerprint = top["system_fingerprint"]?.string.map { oneLine($0, limit: 200) }
        guard let choicesValue = top["choices"], choicesValue != .null else {
            if let message = ErrorBody.declaredMessage(in: body) {
                throw ChatResponseError("response holds an error instead of choices: \(oneLine(message, limit: 200))", usage: usage)
            }
            throw ChatResponseError("response has no choices: \(quote(body, limit: 80))", usage: usage)
        }
        guard case .array(let choices) = choicesValue else {
            throw ChatResponseError("response choices is not a list: \(quote(body, limit: 80))", usage: usage)
        }
        guard let choice = choices.first else { throw ChatResponseError("response has an empty choices list", usage: usage) }
        let finishReason = choice["finish_reason"]?.string
        let suffix = finishReason.map { "; finish_reason \($0)" } ?? ""
        guard let message = choice["message"], message.isObject else {
            throw ChatResponseError("choices[0] has no message\(suffix)", usage: usage, finishReason: finishReason)
        }
        func reply(_ content: String) -> ChatReply {
            ChatReply(content: content, usage: usage, finishReason: finishReason, model: model, systemFingerprint: fingerprint)
        }
        switch message["content"] {
        case .string(let text)?:
            return reply(text)
        case .array(let parts)?:
            // Some servers send content as a list of parts; the reply is the text of its text parts.
            let texts = parts.compactMap { $0["text"]?.string }
            guard !texts.isEmpty else {
                throw ChatResponseError("choices[0].message.content has no text part\(suffix)", usage: usage, finishReason: finishReason)
            }
            return reply(texts.joined())
        case nil, .null?:
            if let refusal = message["refusal"]?.string, !refusal.isEmpty {
                throw ChatResponseError("the judge refused: \(oneLine(refusal, limit: 200))", usage: usage, finishReason: finishReason)
            }
            let what = message["content"] == nil ? "choices[0].message has no content" : "choices[0].message.content is null"
            throw ChatResponseError(what + suffix, usage: usage, finishReason: finishReason)
        default:
            throw ChatResponseError("choices[0].message.content is not text\(suffix)", usage: usage, finishReason: finishReason)
        }
    }

    /// Whether a reply was cut off by the token limit: `finish_reason: length`, or a `<think>` block never closed.
    public static func wasCutOff(content: String, finishReason: String?) -> Bool {
        if finishReason == "length" { return true }
        guard let open = content.range(of: "<think>", options: .backwards) else { return false }
        return content.range(of: "</think>", range: open.upperBound..<content.endIndex) == nil
    }

    /// The message of an error response, for a one-line failure reason; nil for an empty body.
    public static func errorMessage(from body: Data) -> String? { ErrorBody.message(from: body) }

    /// Token counts from a reply's `usage`: whole numbers from 0 to `TokenUsage.maximum`; a
    /// negative, fractional, non-numeric or absurd count (1e300, 2^63) is clamped, never trusted to add up.
    static func tokenUsage(_ value: JSONValue?) -> TokenUsage {
        guard let usage = value, usage.isObject else { return .zero }
        func count(_ key: String) -> Int {
            guard let double = usage[key]?.finiteNumber, double > 0 else { return 0 }
            return double >= Double(TokenUsage.maximum) ? TokenUsage.maximum : TokenUsage.clamped(Int(double))
        }
        return TokenUsage(input: count("prompt_tokens"), output: count("completion_tokens"))
    }

    /// Text on one line, cut to `limit` characters with "…".
    static func oneLine(_ text: String, limit: Int) -> String { ErrorBody.oneLine(text, limit: limit) }

    /// The start of a body, on one line and quoted, for error messages.
    static func quote(_ body: Data, limit: Int) -> String {
        "'" + oneLine(String(decoding: body.prefix(limit * 4), as: UTF8.self), limit: limit) + "'"
    }
}

/// Appends JSON text to a byte buffer; strings are escaped as RFC 8259 requires.
///
/// The bytes go straight into a `Data` sized up front, so a body with a megabyte of base64 is
/// written once and handed to the transport without another copy.
struct ChatBodyWriter {
    private var buffer = Data()

    init(capacity: Int) { buffer.reserveCapacity(capacity) }

    var data: Data { buffer }

    /// Appends text that is already JSON (punctuation, keys known to need no escaping, numbers).
    mutating func raw(_ text: String) { buffer.append(contentsOf: text.utf8) }

    mutating func bytes<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 { buffer.append(contentsOf: bytes) }

    /// Appends a quoted, escaped JSON string.
    mutating func string(_ text: String) {
        buffer.append(UInt8(ascii: "\""))
        escaped(text)
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends a string's JSON escape, without quotes (for text inside a string written in parts).
    mutating func escaped(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { escape($0) }
        if done == nil { escape(Array(text.utf8)) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func escape<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8, Bytes.Index == Int {
        var runStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            buffer.append(contentsOf: bytes[runStart..<index])
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default:
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           ChatBodyWriter.hex[Int(byte >> 4)], ChatBodyWriter.hex[Int(byte & 0xF)]])
            }
            index += 1
            runStart = index
        }
        buffer.append(contentsOf: bytes[runStart..<index])
    }
}
