import Foundation
import WiseCore

extension FakeJudgeServer {
    /// Reading and checking chat-completion requests, and writing OpenAI-style errors.
    enum Wire {
        static let path = "/v1/chat/completions"

        /// A request that passed every check.
        struct Chat {
            var model: String
            var systemPrompt: String?
            var text: String
            var image: Data
            var imageSHA256: String
            var format: ImageFormat
        }

        /// Why a request is refused, as the API would say it.
        struct Refusal: Error {
            var status: Int = 400
            var type = "invalid_request_error"
            var code: String?
            var param: String?
            var message: String
        }

        enum Outcome {
            case accepted(Chat)
            case refused(Refusal)
        }

        /// Checks a request against the wire protocol and `configuration`, filling in `entry`
        /// with what could be read before any check failed.
        static func parse(_ request: ServerRequest, configuration: Configuration, entry: inout LoggedRequest) -> Outcome {
            do {
                return .accepted(try check(request, configuration: configuration, entry: &entry))
            } catch let refusal as Refusal {
                return .refused(refusal)
            } catch {
                return .refused(Refusal(message: "\(error)"))
            }
        }

        private static func check(_ request: ServerRequest, configuration: Configuration, entry: inout LoggedRequest) throws -> Chat {
            guard request.method == "POST" else {
                throw Refusal(message: "Invalid method for URL (\(request.method) \(request.path)): use POST \(path)")
            }
            guard request.path == path else {
                throw Refusal(message: "Invalid URL (\(request.method) \(request.path)): expected POST \(path)")
            }
            if let key = configuration.apiKey {
                try checkAuthorization(request.header("Authorization"), key: key)
            }
            let contentType = request.header("Content-Type")?.lowercased() ?? ""
            guard contentType.hasPrefix("application/json") else {
                throw Refusal(message: contentType.isEmpty
                    ? "Content-Type is missing; send the body as application/json"
                    : "Content-Type is \(contentType), expected application/json")
            }
            let json: Any
            do { json = try JSONSerialization.jsonObject(with: request.body) } catch {
                throw Refusal(message: "We could not parse the JSON body of your request (\(request.body.count) bytes). Send valid JSON.")
            }
            guard let body = json as? [String: Any] else {
                throw Refusal(message: "The JSON body must be an object")
            }

            guard let model = body["model"] as? String else {
                throw Refusal(param: "model", message: "you must provide a model parameter (a string)")
            }
            entry.model = model
            guard model == configuration.model else {
                throw Refusal(code: "model_not_found", param: "model",
                              message: "The model `\(model)` does not exist; this server serves `\(configuration.model)`")
            }

            let (system, user) = try messages(body["messages"])
            entry.systemPrompt = system
            let (text, url) = try userParts(user)
            entry.text = text
            let (image, format) = try decodeDataURL(url)
            let sha = SHA256.hex(image)
            entry.imageSHA256 = sha

            if let temperature = body["temperature"] {
                guard let value = number(temperature) else {
                    throw Refusal(param: "temperature", message: "temperature must be a number")
                }
                entry.temperature = value
                if let expected = configuration.expectedTemperature, value != expected {
                    throw Refusal(param: "temperature", message: "temperature is \(value), expected \(expected)")
                }
            } else if let expected = configuration.expectedTemperature {
                throw Refusal(param: "temperature", message: "temperature is missing, expected \(expected)")
            }

            let limitName = body["max_tokens"] != nil ? "max_tokens" : "max_completion_tokens"
            guard let limitValue = body[limitName] else {
                throw Refusal(param: "max_tokens", message: "max_tokens (or max_completion_tokens) is missing; send a positive integer")
            }
            guard let limit = integer(limitValue), limit > 0 else {
                throw Refusal(param: limitName, message: "\(limitName) must be a positive integer")
            }
            entry.maxTokens = limit

            if let seedValue = body["seed"] {
                guard let seed = integer(seedValue) else {
                    throw Refusal(param: "seed", message: "seed must be an integer")
                }
                entry.seed = seed
            }
            return Chat(model: model, systemPrompt: system, text: text, image: image, imageSHA256: sha, format: format)
        }

        private static func checkAuthorization(_ header: String?, key: String) throws {
            guard let header else {
                throw Refusal(status: 401, code: "invalid_api_key",
                              message: "You didn't provide an API key. Send it as an Authorization header (Bearer <key>).")
            }
            guard header == "Bearer \(key)" else {
                let sent = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
                throw Refusal(status: 401, code: "invalid_api_key",
                              message: "Incorrect API key provided: \(mask(sent)).")
            }
        }

        /// A key with all but its ends hidden, as OpenAI shows it.
        private static func mask(_ key: String) -> String {
            key.count <= 8 ? String(repeating: "*", count: key.count) : "\(key.prefix(3))****\(key.suffix(4))"
        }

        /// The optional system message's text and the user message, in the one layout accepted.
        private static func messages(_ value: Any?) throws -> (String?, [String: Any]) {
            guard let list = value as? [Any], !list.isEmpty else {
                throw Refusal(param: "messages", message: "messages must be a non-empty array")
            }
            let messages = try list.enumerated().map { index, item in
                guard let message = item as? [String: Any], let role = message["role"] as? String else {
                    throw Refusal(param: "messages[\(index)]", message: "messages[\(index)] must be an object with a role")
                }
                return (role, message)
            }
            guard let (lastRole, user) = messages.last, lastRole == "user" else {
                throw Refusal(param: "messages", message: "the last message must have role user, got \(messages.last!.0)")
            }
            guard messages.count <= 2 else {
                throw Refusal(param: "messages", message: "expected one user message, optionally after one system message; got \(messages.count) messages")
            }
            var system: String?
            if messages.count == 2 {
                let (role, message) = messages[0]
                guard role == "system" else {
                    throw Refusal(param: "messages[0]", message: "messages[0] must have role system, got \(role)")
                }
                // The API takes a string or an array of text parts; the official WISE script sends the latter.
                if let content = message["content"] as? String {
                    system = content
                } else if let parts = message["content"] as? [[String: Any]],
                          !parts.isEmpty, parts.allSatisfy({ $0["type"] as? String == "text" && $0["text"] is String }) {
                    system = parts.map { $0["text"] as! String }.joined(separator: "\n")
                } else {
                    throw Refusal(param: "messages[0].content", message: "the system message's content must be a string or an array of text parts")
                }
            }
            return (system, user)
        }

        /// The text and the image URL of the user message, which must hold exactly one of each.
        private static func userParts(_ user: [String: Any]) throws -> (String, String) {
            let param = "messages[-1].content"
            guard let parts = user["content"] as? [Any] else {
                throw Refusal(param: param, message: "the user message's content must be an array of a text part and an image_url part")
            }
            var texts: [String] = []
            var urls: [String] = []
            for (index, item) in parts.enumerated() {
                guard let part = item as? [String: Any], let type = part["type"] as? String else {
                    throw Refusal(param: "\(param)[\(index)]", message: "content part \(index) must be an object with a type")
                }
                switch type {
                case "text":
                    guard let text = part["text"] as? String else {
                        throw Refusal(param: "\(param)[\(index)].text", message: "text part \(index) has no text string")
                    }
                    texts.append(text)
                case "image_url":
                    guard let image = part["image_url"] as? [String: Any], let url = image["url"] as? String else {
                        throw Refusal(param: "\(param)[\(index)].image_url", message: "image_url part \(index) must be {\"url\": \"data:…\"}")
                    }
                    urls.append(url)
                default:
                    throw Refusal(param: "\(param)[\(index)].type", message: "content part \(index) has type \(type), expected text or image_url")
                }
            }
            guard texts.count == 1, urls.count == 1 else {
                throw Refusal(param: param, message: "the user message must hold exactly one text part and one image_url part; got \(texts.count) text and \(urls.count) image_url")
            }
            guard !texts[0].isEmpty else {
                throw Refusal(param: param, message: "the text part is empty; send the rubric")
            }
            return (texts[0], urls[0])
        }

        /// The image bytes of a `data:image/…;base64,` URL whose type matches its content.
        static func decodeDataURL(_ url: String) throws -> (Data, ImageFormat) {
            let param = "messages[-1].content.image_url.url"
            guard url.hasPrefix("data:") else {
                throw Refusal(code: "invalid_image_url", param: param, message: "the image must be sent inline as a data URL (data:image/png;base64,…), got \(url.prefix(30))…")
            }
            guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
                throw Refusal(code: "invalid_image_url", param: param, message: "the data URL must be data:image/<type>;base64,<data>")
            }
            let mime = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7))
            guard let declared = ImageFormat.allCases.first(where: { $0.mimeType == mime }) else {
                throw Refusal(code: "invalid_image_format", param: param, message: "the data URL's type is \(mime); expected image/png, image/jpeg or image/webp")
            }
            let encoded = url[url.index(after: comma)...]
            guard !encoded.isEmpty, let image = Data(base64Encoded: String(encoded)) else {
                throw Refusal(code: "invalid_image_url", param: param, message: "the data URL's base64 is not valid")
            }
            guard let actual = ImageFormat.sniff(image) else {
                throw Refusal(code: "invalid_image_format", param: param, message: "the data URL says \(mime) but the bytes are not a PNG, JPEG or WebP image")
            }
            guard actual == declared else {
                throw Refusal(code: "invalid_image_format", param: param, message: "the data URL says \(mime) but the bytes are \(actual.mimeType)")
            }
            return (image, actual)
        }

        /// A JSON number as a Double; nil for anything else, booleans included.
        private static func number(_ value: Any) -> Double? {
            guard let number = value as? NSNumber else { return nil }
            // JSONSerialization gives booleans as NSNumbers of type char ("c").
            if String(cString: number.objCType) == "c" { return nil }
            return number.doubleValue
        }

        /// A JSON number that is a whole number, as an Int.
        private static func integer(_ value: Any) -> Int? {
            guard let double = number(value), double == double.rounded(), abs(double) < 9e15 else { return nil }
            return Int(double)
        }

        /// An OpenAI-style error reply.
        static func error(_ refusal: Refusal) -> ServerAction {
            errorAction(status: refusal.status, message: refusal.message, type: refusal.type, code: refusal.code, param: refusal.param)
        }

        static func errorAction(
            status: Int, message: String, type: String, code: String?, param: String? = nil, headers: [(String, String)] = []
        ) -> ServerAction {
            let body = ErrorBody(error: .init(message: message, type: type, param: param, code: code))
            let data = (try? encoder.encode(body)) ?? Data("{\"error\":{\"message\":\"error\"}}".utf8)
            return .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: data)
        }

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return encoder
        }()
    }

    /// `{"error": {"message", "type", "param", "code"}}`, with nulls written out as the API does.
    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Detail
    }
}
