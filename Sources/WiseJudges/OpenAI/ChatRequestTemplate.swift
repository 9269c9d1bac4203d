import Foundation
import WiseCore

/// The chat-completions request of one judge, written to JSON once: per image only the prompt's
/// text and explanation are escaped into it, and the image's base64 appended.
///
/// The body is `{"model", "messages": [system?, user: [text, image_url]], …members}`; the user text
/// is the rubric's template with `{prompt}` and `{explanation}` filled in, as `Rubric.render` fills
/// it (tests check the two agree byte for byte). The JSON is hand-written because this runs once
/// per image with megabyte-sized images: no intermediate objects, one buffer sized up front.
struct ChatRequestTemplate: Sendable {
    /// A piece of the user text: literal template text (already JSON-escaped), or a placeholder.
    enum Piece: Sendable {
        case literal([UInt8])
        case promptText
        case explanation
    }

    /// Everything before the user text: model, system message, the user message's opening.
    let head: [UInt8]
    let pieces: [Piece]
    /// Everything after the image's base64: the closing of messages and the other members.
    let tail: [UInt8]

    init(rubric: Rubric, model: String, members: [(key: String, json: String)]) {
        var head = ChatBodyWriter(capacity: 4096)
        head.raw("{\"model\":"); head.string(model)
        head.raw(",\"messages\":[")
        if let system = rubric.system {
            head.raw("{\"role\":\"system\",\"content\":")
            switch rubric.systemShape {
            case .parts: head.raw("[{\"type\":\"text\",\"text\":"); head.string(system); head.raw("}]},")
            case .string: head.string(system); head.raw("},")
            }
        }
        head.raw("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"")
        self.head = Array(head.data)
        // The rubric's own split, each literal escaped once.
        pieces = rubric.pieces.map { piece in
            switch piece {
            case .literal(let text): return .literal(Self.escaped(text))
            case .promptText: return .promptText
            case .explanation: return .explanation
            }
        }
        var tail = ChatBodyWriter(capacity: 1024)
        tail.raw("\"}}]}]")
        for member in members {
            tail.raw(","); tail.string(member.key); tail.raw(":"); tail.raw(member.json)
        }
        tail.raw("}")
        self.tail = Array(tail.data)
    }

    /// The request body for one image, assembled in one allocation: the template's bytes, the
    /// prompt's escaped texts, and the image's base64 encoded in place (no copy, no zero-fill).
    func body(prompt: Prompt, image: Data, format: ImageFormat) -> Data {
        let promptText = Self.escaped(prompt.text), explanation = Self.escaped(prompt.explanation)
        let middle = Array("\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:\(format.mimeType);base64,".utf8)
        var textCount = 0
        for piece in pieces {
            switch piece {
            case .literal(let bytes): textCount += bytes.count
            case .promptText: textCount += promptText.count
            case .explanation: textCount += explanation.count
            }
        }
        let base64Count = Base64.encodedCount(image.count)
        let total = head.count + textCount + middle.count + base64Count + tail.count
        let memory = malloc(max(total, 1))!
        var offset = 0
        func put(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { (memory + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += bytes.count
        }
        put(head)
        for piece in pieces {
            switch piece {
            case .literal(let bytes): if !bytes.isEmpty { put(bytes) }
            case .promptText: if !promptText.isEmpty { put(promptText) }
            case .explanation: if !explanation.isEmpty { put(explanation) }
            }
        }
        put(middle)
        image.withUnsafeBytes { Base64.encode($0, into: memory + offset) }
        offset += base64Count
        put(tail)
        return Data(bytesNoCopy: memory, count: total, deallocator: .free)
    }

    /// A text's JSON escape, without quotes.
    static func escaped(_ text: String) -> [UInt8] {
        var writer = ChatBodyWriter(capacity: text.utf8.count + 16)
        writer.escaped(text)
        return Array(writer.data)
    }
}
