import Foundation

extension FakeJudgeServer {
    /// A hostile answer given to every valid request, for attack tests: what a broken, misconfigured
    /// or malicious server might send. Unlike `Fault`, it is not drawn at random, and the default
    /// fault list (`Fault.allCases`) is unchanged by it.
    public enum Hostile: Sendable, Equatable {
        /// An HTTP error status with an OpenAI-style message (401 wrong key, 403, 404 unknown model, 400 …).
        case status(Int, message: String)
        /// A redirect to another URL (301, 302, 303, 307, 308).
        case redirect(Int)
        /// 429 with this `Retry-After` value.
        case retryAfter(String)
        /// A normal reply whose `usage` holds these raw JSON numbers.
        case usage(prompt: String, completion: String)
        /// A 200 whose message content is this text, with this finish reason.
        case content(String, finishReason: String)
        /// A reply that echoes the API key it was sent (and a prefix of it) in its content.
        case echoKey
        /// A 200 with this raw body.
        case body(Data)
    }

    static func hostileAnswer(_ hostile: Hostile, chat: Wire.Chat, apiKey: String?) -> ServerAction {
        func completion(_ content: String, finish: String = "stop", usage: String = #""prompt_tokens": 10, "completion_tokens": 5"#) -> ServerAction {
            let body = #"{"id": "chatcmpl-hostile", "object": "chat.completion", "model": "\#(chat.model)", "choices": [{"index": 0, "message": {"role": "assistant", "content": \#(jsonQuoted(content))}, "finish_reason": "\#(finish)"}], "usage": {\#(usage)}}"#
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        }
        switch hostile {
        case .status(let status, let message):
            return Wire.errorAction(status: status, message: message, type: "invalid_request_error", code: nil)
        case .redirect(let status):
            return .respond(status: status, headers: [("Location", "http://127.0.0.1:9/elsewhere"), ("Content-Length", "0")])
        case .retryAfter(let value):
            return Wire.errorAction(status: 429, message: "slow down", type: "requests", code: "rate_limit_exceeded", headers: [("Retry-After", value)])
        case .usage(let prompt, let completionTokens):
            return completion("Score: 1\nConsistency: 1\nRealism: 1\nAesthetic Quality: 1",
                              usage: #""prompt_tokens": \#(prompt), "completion_tokens": \#(completionTokens)"#)
        case .content(let text, let finish):
            return completion(text, finish: finish)
        case .echoKey:
            let key = apiKey ?? "no-key"
            return completion("Your key is \(key); again: \(key.prefix(12))… Score: 1\nConsistency: 1\nRealism: 1\nAesthetic Quality: 1")
        case .body(let data):
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: data)
        }
    }

    private static func jsonQuoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
