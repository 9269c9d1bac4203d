import Foundation
import WiseCore

extension FakeJudgeServer {
    /// The scores the fake judge gives an image: a pure function of its bytes.
    ///
    /// With d the image's SHA-256 bytes: legacy gives consistency d[0] % 3, realism d[1] % 3,
    /// aesthetic_quality d[2] % 3; verified gives score d[0] % 2.
    public static func expectedScores(for image: Data, scoringProtocol: ScoringProtocol) -> AspectScores {
        let d = digest(image)
        switch scoringProtocol {
        case .legacy:
            return AspectScores([
                "consistency": Double(d[0] % 3), "realism": Double(d[1] % 3), "aesthetic_quality": Double(d[2] % 3),
            ])
        case .verified:
            return AspectScores(["score": Double(d[0] % 2)])
        }
    }

    /// The reply text of a normal answer for an image.
    ///
    /// Its style (plain, `**Consistency**: 2`, lower case with a spaced colon, upper case with a
    /// tab, a sentence first, one line without colons; for verified `Score: 1`, `Score:1`, a
    /// sentence first) is picked by the image hash. Every style matches the official patterns:
    /// legacy `\*{0,2}(Consistency|Realism|Aesthetic Quality)\*{0,2}\s*[::]?\s*(\d)` (any case,
    /// two ASCII colons in the class), verified `\*{0,2}Score\*{0,2}\s*[::]?\s*([01])\b`.
    public static func replyText(for image: Data, scoringProtocol: ScoringProtocol) -> String {
        let d = digest(image)
        switch scoringProtocol {
        case .legacy:
            let (c, r, a) = (d[0] % 3, d[1] % 3, d[2] % 3)
            switch d[3] % 6 {
            case 0: return "Consistency: \(c)\nRealism: \(r)\nAesthetic Quality: \(a)"
            case 1: return "**Consistency**: \(c)\n**Realism**: \(r)\n**Aesthetic Quality**: \(a)"
            case 2: return "consistency : \(c)\nrealism : \(r)\naesthetic quality : \(a)"
            case 3: return "CONSISTENCY:\t\(c)\nREALISM:\t\(r)\nAESTHETIC QUALITY:\t\(a)"
            case 4: return "Here is my evaluation of the image.\n\nConsistency: \(c)\nRealism: \(r)\nAesthetic Quality: \(a)"
            default: return "Consistency \(c), Realism \(r), Aesthetic Quality \(a)."
            }
        case .verified:
            let s = d[0] % 2
            switch d[3] % 4 {
            case 0: return "Score: \(s)"
            case 1: return "Score:\(s)"
            case 2: return "I compared the image with the prompt and its explanation.\nScore: \(s)"
            default: return "Explanation: the key elements were checked one by one.\n\nScore: \(s)\n"
            }
        }
    }

    /// The reply text a fault of kind `fault` carries for an image, or nil for faults that
    /// send no reply text (errors, resets, broken bodies). `slow` carries the normal text.
    public static func replyText(for image: Data, scoringProtocol: ScoringProtocol, fault: Fault) -> String? {
        let d = digest(image)
        switch fault {
        case .rateLimited, .serverError, .unavailable, .reset, .invalidJSON, .emptyChoices:
            return nil
        case .slow:
            return replyText(for: image, scoringProtocol: scoringProtocol)
        case .unparseable:
            return "I cannot evaluate this image."
        case .thinkBlock:
            // Decoys are always wrong: each differs from the true value.
            let decoy = "<think>\nA first look suggests Consistency: \((d[0] % 3 + 1) % 3), Realism: \((d[1] % 3 + 1) % 3), "
                + "Aesthetic Quality: \((d[2] % 3 + 1) % 3), so Score: \(1 - d[0] % 2). Let me look again more carefully.\n</think>\n\n"
            return decoy + replyText(for: image, scoringProtocol: scoringProtocol)
        case .bareNumbers:
            switch scoringProtocol {
            case .legacy: return "\(d[0] % 3)\n\(d[1] % 3)\n\(d[2] % 3)"
            case .verified: return "\(d[0] % 2)"
            }
        }
    }

    /// The `usage.prompt_tokens` reported for a request: 85 (the image) plus a quarter of the
    /// characters of its text and system prompt.
    public static func promptTokens(text: String, systemPrompt: String?) -> Int {
        85 + (text.count + (systemPrompt?.count ?? 0)) / 4
    }

    /// The `usage.completion_tokens` reported for a reply: a quarter of its characters, at least 1.
    public static func completionTokens(for reply: String) -> Int {
        max(1, (reply.count + 3) / 4)
    }

    private static func digest(_ image: Data) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(image)
        return hasher.finalize()
    }

    /// Building the answer to a valid request.
    enum Replies {
        struct Answer {
            /// The status sent; nil for a reset.
            var status: Int?
            var action: ServerAction
            /// Whether it is a 200 whose text holds the correct scores.
            var carriesScores: Bool
        }

        static func answer(to chat: Wire.Chat, fault: Fault?, configuration: Configuration, id: String, asked: Int = 1) -> Answer {
            let proto = configuration.scoringProtocol
            if let scripted = configuration.scriptedReplies[chat.imageSHA256] {
                return completion(chat, text: scripted, id: id, carriesScores: false, servedAs: configuration.servedAs, fingerprint: configuration.systemFingerprint)
            }
            guard let fault else {
                if configuration.jitter > 0 {
                    return completion(chat, text: jitteredText(chat, configuration: configuration, asked: asked), id: id, carriesScores: true, servedAs: configuration.servedAs, fingerprint: configuration.systemFingerprint)
                }
                return completion(chat, text: replyText(for: chat.image, scoringProtocol: proto), id: id, carriesScores: true, servedAs: configuration.servedAs, fingerprint: configuration.systemFingerprint)
            }
            switch fault {
            case .rateLimited:
                let message = "Rate limit reached for \(chat.model) in organization org-fake on requests per min (RPM): "
                    + "Limit 60, Used 60, Requested 1. Please try again in 0s."
                return Answer(status: 429, action: Wire.errorAction(
                    status: 429, message: message, type: "requests", code: "rate_limit_exceeded",
                    headers: [("Retry-After", "0"), ("x-ratelimit-limit-requests", "60"),
                              ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "0s")]),
                    carriesScores: false)
            case .serverError:
                return Answer(status: 500, action: Wire.errorAction(
                    status: 500, message: "The server had an error while processing your request. Sorry about that!",
                    type: "server_error", code: nil), carriesScores: false)
            case .unavailable:
                return Answer(status: 503, action: Wire.errorAction(
                    status: 503, message: "The engine is currently overloaded, please try again later.",
                    type: "server_error", code: "service_unavailable"), carriesScores: false)
            case .reset:
                return Answer(status: nil, action: .reset, carriesScores: false)
            case .invalidJSON:
                let cut = "{\"id\":\"\(id)\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Sco"
                return Answer(status: 200, action: .respond(
                    status: 200, headers: [("Content-Type", "application/json")], body: Data(cut.utf8)), carriesScores: false)
            case .emptyChoices:
                return completion(chat, text: nil, id: id, carriesScores: false, servedAs: configuration.servedAs, fingerprint: configuration.systemFingerprint)
            case .slow, .thinkBlock, .bareNumbers, .unparseable:
                let text = replyText(for: chat.image, scoringProtocol: proto, fault: fault)!
                return completion(chat, text: text, id: id, carriesScores: fault != .unparseable, servedAs: configuration.servedAs, fingerprint: configuration.systemFingerprint)
            }
        }

        /// The image's scores, each moved one step with probability `jitter`, as a plain reply.
        static func jitteredText(_ chat: Wire.Chat, configuration: Configuration, asked: Int) -> String {
            let proto = configuration.scoringProtocol
            let base = expectedScores(for: chat.image, scoringProtocol: proto)
            var rng = SplitMix(seed: UInt64(digest(chat.image).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }) ^ configuration.seed &+ UInt64(asked) &* 0x9E37_79B9)
            var moved: [String: Int] = [:]
            for aspect in proto.aspects {
                var v = Int(base[aspect]!)
                if rng.nextUnit() < configuration.jitter { v = v == 0 ? 1 : v == proto.maxAspectValue ? v - 1 : v + (rng.next() % 2 == 0 ? 1 : -1) }
                moved[aspect] = v
            }
            return proto == .legacy
                ? "Consistency: \(moved["consistency"]!)\nRealism: \(moved["realism"]!)\nAesthetic Quality: \(moved["aesthetic_quality"]!)"
                : "Score: \(moved["score"]!)"
        }

        /// A chat.completion body with one choice holding `text`, or no choices when nil.
        private static func completion(_ chat: Wire.Chat, text: String?, id: String, carriesScores: Bool, servedAs: String? = nil,
                                       fingerprint: String? = nil) -> Answer {
            let prompt = promptTokens(text: chat.text, systemPrompt: chat.systemPrompt)
            let output = text.map(completionTokens(for:)) ?? 0
            let body = Completion(
                id: id, created: Int(Date().timeIntervalSince1970), model: servedAs ?? chat.model,
                choices: text.map { [Completion.Choice(message: .init(content: $0))] } ?? [], system_fingerprint: fingerprint,
                usage: .init(prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output))
            guard let data = try? Wire.encoder.encode(body) else {
                return Answer(status: 500, action: .text("could not encode the reply", status: 500), carriesScores: false)
            }
            return Answer(status: 200, action: .respond(status: 200, headers: [("Content-Type", "application/json")], body: data),
                          carriesScores: carriesScores)
        }
    }

    /// The chat.completion object, with the API's snake_case keys.
    struct Completion: Encodable {
        struct Message: Encodable {
            var role = "assistant"
            var content: String
        }

        struct Choice: Encodable {
            var index = 0
            var message: Message
            var finish_reason = "stop"
        }

        struct Usage: Encodable {
            var prompt_tokens: Int
            var completion_tokens: Int
            var total_tokens: Int
        }

        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [Choice]
        var system_fingerprint: String?
        var usage: Usage
    }
}
