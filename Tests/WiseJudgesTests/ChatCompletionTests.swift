import Foundation
import Testing
import WiseCore
@testable import WiseJudges

@Suite struct ChatCompletionTests {
    /// The request body, read back the way a server would.
    struct Body: Decodable {
        var model: String
        var messages: [Message]
        var temperature: Double
        var max_tokens: Int?
        var seed: Int?
    }

    struct Message: Decodable {
        var role: String
        var content: Content
    }

    enum Content: Decodable, Equatable {
        case text(String)
        case parts([Part])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else { self = .parts(try container.decode([Part].self)) }
        }
    }

    struct Part: Decodable, Equatable {
        var type: String
        var text: String?
        var image_url: ImageURL?
    }

    struct ImageURL: Decodable, Equatable {
        var url: String
    }

    static let prompt = Prompt(set: .legacy, id: 7, category: .culture, categoryLabel: "Cultural knowledge",
                               subcategory: "Festival", domain: "cultural_common_sense",
                               text: "The flower often given on Mother's Day",
                               explanation: "Carnations, usually pink or red")

    static let image = Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })

    static func body(_ rubric: Rubric = .plain(.legacy), image: Data = image, format: ImageFormat = .png,
                     options: ChatRequestOptions) throws -> Data {
        try ChatCompletion.requestBody(rubric: rubric, prompt: prompt, image: image, format: format, options: options)
    }

    static func topLevel(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func bodyHoldsEveryFieldOfTheRequest() throws {
        // Given the built-in legacy rubric (with a system message) and default options
        let rubric = Rubric.plain(.legacy)
        let options = ChatRequestOptions(model: "gpt-4o-2024-05-13")
        // When the body is built and decoded back
        let data = try Self.body(rubric, options: options)
        let body = try JSONDecoder().decode(Body.self, from: data)
        // Then it names the model, sends the system message, the rendered rubric and the image
        #expect(body.model == "gpt-4o-2024-05-13")
        #expect(body.temperature == 0)
        #expect(body.max_tokens == ChatRequestOptions.defaultMaxTokens && body.max_tokens == 2000)
        #expect(body.seed == nil)
        try #require(body.messages.count == 2)
        #expect(body.messages[0].role == "system" && body.messages[0].content == .text(rubric.system!))
        #expect(body.messages[1].role == "user")
        guard case .parts(let parts) = body.messages[1].content else { Issue.record("user content is not a list"); return }
        try #require(parts.count == 2)
        #expect(parts[0] == Part(type: "text", text: rubric.render(for: Self.prompt), image_url: nil))
        #expect(parts[1].type == "image_url" && parts[1].text == nil)
        // And the image is a data URL whose base64 decodes to the exact bytes
        let url = try #require(parts[1].image_url?.url)
        let prefix = "data:image/png;base64,"
        #expect(url.hasPrefix(prefix))
        #expect(Data(base64Encoded: String(url.dropFirst(prefix.count))) == Self.image)
        // And nothing else is sent
        #expect(Set(try Self.topLevel(data).keys) == ["model", "messages", "temperature", "max_tokens"])
    }

    @Test(arguments: ImageFormat.allCases)
    func dataURLCarriesTheFormatsMIMEType(_ format: ImageFormat) throws {
        // Given an image of one format
        // When the body is built
        let body = try JSONDecoder().decode(Body.self, from: Self.body(format: format, options: ChatRequestOptions(model: "m")))
        // Then the data URL names that format's MIME type
        guard case .parts(let parts) = body.messages.last!.content else { Issue.record("no parts"); return }
        #expect(parts[1].image_url?.url.hasPrefix("data:\(format.mimeType);base64,") == true)
        #expect(format != .jpeg || format.mimeType == "image/jpeg")
    }

    @Test func noSystemMessageSeedAndNoMaxTokens() throws {
        // Given a rubric without a system message, a seed, and max tokens left out
        let rubric = Rubric(text: "Judge {prompt}", scoringProtocol: .verified, source: "test")
        let options = ChatRequestOptions(model: "qwen", temperature: 1, maxTokens: nil, seed: 42)
        // When the body is built
        let data = try Self.body(rubric, options: options)
        let body = try JSONDecoder().decode(Body.self, from: data)
        // Then only the user message is sent, with the seed and without max_tokens
        #expect(body.messages.map(\.role) == ["user"])
        #expect(body.seed == 42 && body.max_tokens == nil && body.temperature == 1)
        #expect(Set(try Self.topLevel(data).keys) == ["model", "messages", "temperature", "seed"])
    }

    @Test(arguments: [(0.7, "0.7"), (0.1, "0.1"), (0.3, "0.3"), (1.1, "1.1"), (0.123456789, "0.123456789"), (0, "0"), (1, "1"), (1e-05, "1e-05")])
    func temperatureIsWrittenExactly(_ temperature: Double, _ text: String) throws {
        // Given a temperature
        // When the body is built
        let json = String(decoding: try Self.body(options: ChatRequestOptions(model: "m", temperature: temperature)), as: UTF8.self)
        // Then its JSON text is the shortest exact form, which reads back as the same Double
        #expect(json.contains("\"temperature\":\(text),") || json.contains("\"temperature\":\(text)}"))
        #expect(Double(text) == temperature)
    }

    @Test func stringsAreEscapedAndRoundTrip() throws {
        // Given prompt text with quotes, backslashes, control characters and non-ASCII text
        var prompt = Self.prompt
        prompt.text = "He said \"月饼\" \\ path\\to\n\ttab\r\u{1}\u{1F}\u{7F} café 🥮 \u{2028}"
        prompt.explanation = "</script> & <b>"
        let rubric = Rubric(text: "P: {prompt}\nE: {explanation}", system: "sys \"quoted\"\n", scoringProtocol: .legacy, source: "t")
        // When the body is built and decoded
        let data = try ChatCompletion.requestBody(rubric: rubric, prompt: prompt, image: Data([1, 2, 3]), format: .webp,
                                                  options: ChatRequestOptions(model: "model \"x\""))
        let body = try JSONDecoder().decode(Body.self, from: data)
        // Then every string reads back exactly
        #expect(body.model == "model \"x\"")
        #expect(body.messages[0].content == .text("sys \"quoted\"\n"))
        guard case .parts(let parts) = body.messages[1].content else { Issue.record("no parts"); return }
        #expect(parts[0].text == rubric.render(for: prompt))
        // And control characters never appear raw in the JSON text
        #expect(!data.contains(where: { $0 < 0x20 }))
    }

    @Test func extraBodyIsMergedAndOverridesDefaults() throws {
        // Given an extra body with a nested object, an exact decimal, and an override of temperature
        let extra = #"{ "chat_template_kwargs": {"enable_thinking": false}, "top_p": 0.95, "temperature": 0.30, "stop": ["\n\n"] }"#
        let options = ChatRequestOptions(model: "Qwen3.5-35B-A3B", temperature: 0.7, seed: 1, extraBody: extra)
        // When the body is built
        let data = try Self.body(options: options)
        let json = String(decoding: data, as: UTF8.self)
        let top = try Self.topLevel(data)
        // Then the extra members sit at the top level in canonical form, and the override replaces the default once
        #expect(json.contains(#""top_p":0.95"#))
        #expect(json.contains(#""temperature":0.3"#))
        #expect(json.components(separatedBy: "\"temperature\"").count == 2)
        #expect((top["chat_template_kwargs"] as? [String: Any])?["enable_thinking"] as? Bool == false)
        #expect(top["stop"] as? [String] == ["\n\n"])
        #expect(top["seed"] as? Int == 1 && top["max_tokens"] as? Int == 2000)
        #expect(top["model"] as? String == "Qwen3.5-35B-A3B")
        #expect(Set(top.keys) == ["model", "messages", "temperature", "max_tokens", "seed", "chat_template_kwargs", "top_p", "stop"])
    }

    @Test func extraBodyCanReplaceMaxTokensAndSeed() throws {
        // Given an extra body that sets max_tokens to null, a new seed, and one key twice
        let options = ChatRequestOptions(model: "m", seed: 1, extraBody: #"{"max_tokens":null,"seed":7,"top_k":1,"top_k":20,"\u00e9":"\ud83e\udd6e"}"#)
        // When the body is built
        let data = try Self.body(options: options)
        let json = String(decoding: data, as: UTF8.self)
        let top = try Self.topLevel(data)
        // Then each key appears once, the extra values win, and the last duplicate wins
        #expect(top["max_tokens"] is NSNull && top["seed"] as? Int == 7 && top["top_k"] as? Int == 20)
        #expect(top["é"] as? String == "🥮")
        #expect(json.components(separatedBy: "\"seed\"").count == 2)
        #expect(json.components(separatedBy: "\"top_k\"").count == 2)
    }

    struct BadOptions: Sendable, CustomTestStringConvertible {
        var name: String
        var options: ChatRequestOptions
        var message: String
        var testDescription: String { name }
    }

    static let badOptions: [BadOptions] = [
        BadOptions(name: "extra body not JSON", options: ChatRequestOptions(model: "m", extraBody: "enable_thinking=false"), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body an array", options: ChatRequestOptions(model: "m", extraBody: "[1]"), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body empty", options: ChatRequestOptions(model: "m", extraBody: ""), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body trailing comma", options: ChatRequestOptions(model: "m", extraBody: #"{"a":1,}"#), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body leading zero", options: ChatRequestOptions(model: "m", extraBody: #"{"a":01}"#), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body two objects", options: ChatRequestOptions(model: "m", extraBody: #"{"a":1}{"b":2}"#), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body unterminated", options: ChatRequestOptions(model: "m", extraBody: #"{"a":"x}"#), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body lone surrogate", options: ChatRequestOptions(model: "m", extraBody: #"{"a":"\ud800"}"#), message: "--extra-body must be a JSON object"),
        BadOptions(name: "extra body sets model", options: ChatRequestOptions(model: "m", extraBody: #"{"model":"other"}"#), message: "--extra-body may not set \"model\""),
        BadOptions(name: "extra body sets messages", options: ChatRequestOptions(model: "m", extraBody: #"{"messages":[]}"#), message: "--extra-body may not set \"messages\""),
        BadOptions(name: "extra body streams", options: ChatRequestOptions(model: "m", extraBody: #"{"stream":true}"#), message: "--extra-body may not turn on \"stream\""),
        BadOptions(name: "empty model", options: ChatRequestOptions(model: " "), message: "--model is empty"),
        BadOptions(name: "negative temperature", options: ChatRequestOptions(model: "m", temperature: -0.5), message: "--temperature must be a number of 0 or more"),
        BadOptions(name: "NaN temperature", options: ChatRequestOptions(model: "m", temperature: .nan), message: "--temperature must be a number of 0 or more"),
        BadOptions(name: "zero max tokens", options: ChatRequestOptions(model: "m", maxTokens: 0), message: "--max-tokens must be at least 1"),
    ]

    @Test(arguments: badOptions)
    func invalidOptionsAreUsageErrors(_ bad: BadOptions) throws {
        // Given invalid options
        // When validated, and when a body is built with them anyway
        let error = #expect(throws: UsageError.self) { try bad.options.validate() }
        #expect(throws: UsageError.self) { try Self.body(options: bad.options) }
        // Then the one-line error names the flag
        #expect(error?.description.contains(bad.message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func validOptionsPass() throws {
        // Given options a user would pass, including stream turned off explicitly
        let options = [
            ChatRequestOptions(model: "gpt-4o-2024-05-13"),
            ChatRequestOptions(model: "m", temperature: 0.7, maxTokens: nil, seed: -3, extraBody: #"{"stream":false}"#),
            ChatRequestOptions(model: "m", extraBody: " {} "),
            ChatRequestOptions(model: "m", extraBody: #"{"a":[1,-2.5e3,true,null,{"b":"\"\\\/"}],"c":{}}"#),
        ]
        // Then each validates
        for option in options { try option.validate() }
    }

    @Test func largeImageRoundTrips() throws {
        // Given a 1.5 MB image
        var generator = SystemRandomNumberGenerator()
        let image = Data((0..<1_500_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        // When the body is built
        let data = try Self.body(image: image, format: .jpeg, options: ChatRequestOptions(model: "m"))
        // Then the body is about the size of the base64 image and decodes to the same bytes
        #expect(data.count < image.count * 4 / 3 + 10_000)
        let body = try JSONDecoder().decode(Body.self, from: data)
        guard case .parts(let parts) = body.messages.last!.content, let url = parts.last?.image_url?.url else {
            Issue.record("no image part"); return
        }
        #expect(Data(base64Encoded: String(url.dropFirst("data:image/jpeg;base64,".count))) == image)
    }

    // MARK: responses

    @Test func readsAGoodResponse() throws {
        // Given an OpenAI chat-completions response
        let body = Data(#"""
        {"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Consistency: 2\nRealism: 1\nAesthetic Quality: 1"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1210,"completion_tokens":17,"total_tokens":1227}}
        """#.utf8)
        // When parsed
        let reply = try ChatCompletion.parseResponse(body)
        // Then the content, usage and finish reason are read
        #expect(reply == ChatReply(content: "Consistency: 2\nRealism: 1\nAesthetic Quality: 1",
                                   usage: TokenUsage(input: 1210, output: 17), finishReason: "stop"))
    }

    @Test func missingUsageIsZeroAndContentPartsAreJoined() throws {
        // Given a response without usage whose content is a list of parts
        let body = Data(#"{"choices":[{"message":{"content":[{"type":"text","text":"Score: "},{"type":"text","text":"1"}]}}]}"#.utf8)
        // When parsed
        let reply = try ChatCompletion.parseResponse(body)
        // Then the text parts are joined and usage is zero
        #expect(reply == ChatReply(content: "Score: 1", usage: .zero, finishReason: nil))
    }

    struct BadResponse: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var message: String
        var usage: TokenUsage = .zero
        var testDescription: String { name }
    }

    static let badResponses: [BadResponse] = [
        BadResponse(name: "empty choices", body: #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}"#,
                    message: "response has an empty choices list", usage: TokenUsage(input: 5, output: 0)),
        BadResponse(name: "null content cut off", body: #"{"choices":[{"message":{"role":"assistant","content":null,"reasoning_content":"hmm"},"finish_reason":"length"}],"usage":{"prompt_tokens":900,"completion_tokens":2000}}"#,
                    message: "choices[0].message.content is null; finish_reason length", usage: TokenUsage(input: 900, output: 2000)),
        BadResponse(name: "missing content", body: #"{"choices":[{"message":{"role":"assistant"}}]}"#, message: "choices[0].message has no content"),
        BadResponse(name: "refusal", body: #"{"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#,
                    message: "the judge refused: I can't help with that."),
        BadResponse(name: "no message", body: #"{"choices":[{"finish_reason":"stop"}]}"#, message: "choices[0] has no message; finish_reason stop"),
        BadResponse(name: "content a number", body: #"{"choices":[{"message":{"content":3}}]}"#, message: "choices[0].message.content is not text"),
        BadResponse(name: "no choices", body: #"{"id":"x"}"#, message: "response has no choices: '{\"id\":\"x\"}'"),
        BadResponse(name: "error with status 200", body: #"{"error":{"message":"model overloaded","type":"server_error"}}"#,
                    message: "response holds an error instead of choices: model overloaded"),
        BadResponse(name: "not an object", body: "[1,2]", message: "response is not a JSON object: '[1,2]'"),
        BadResponse(name: "invalid JSON", body: "<html>\n<body>Bad gateway</body>\n</html>", message: "response is not JSON: '<html> <body>Bad gateway</body> </html>'"),
        BadResponse(name: "empty body", body: "", message: "empty response body"),
    ]

    @Test(arguments: badResponses)
    func unusableResponsesThrowOneLine(_ bad: BadResponse) {
        // Given a 2xx body with no usable reply
        // When parsed
        let error = #expect(throws: ChatResponseError.self) { try ChatCompletion.parseResponse(Data(bad.body.utf8)) }
        // Then the error says what is wrong on one line, and keeps the tokens spent
        #expect(error?.description == bad.message)
        #expect(error?.usage == bad.usage)
    }

    @Test(arguments: [
        (#"{"prompt_tokens":1e300,"completion_tokens":-5}"#, TokenUsage(input: TokenUsage.maximum, output: 0)),
        (#"{"prompt_tokens":true,"completion_tokens":"12"}"#, TokenUsage(input: 0, output: 0)),
        (#"{"prompt_tokens":9223372036854775808,"completion_tokens":12.7}"#, TokenUsage(input: TokenUsage.maximum, output: 12)),
        (#"[1,2]"#, TokenUsage.zero),
    ])
    func absurdUsageIsClampedNotTrusted(_ usage: String, _ expected: TokenUsage) throws {
        // Given a reply whose usage holds absurd, negative or non-numeric counts
        let body = Data((#"{"choices":[{"message":{"content":"Consistency: 1"}}],"usage":"# + usage + "}").utf8)
        // When parsed
        let reply = try ChatCompletion.parseResponse(body)
        // Then the reply is read and the counts are clamped to whole numbers in range
        #expect(reply.content == "Consistency: 1")
        #expect(reply.usage == expected)
    }

    @Test func deeplyNestedResponseIsAnErrorNotACrash() {
        // Given a body nested 100,000 levels deep
        let body = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        // When parsed
        let error = #expect(throws: ChatResponseError.self) { try ChatCompletion.parseResponse(body) }
        // Then it is an ordinary "not JSON" error
        #expect(error?.description.hasPrefix("response is not JSON: '[[[[") == true)
    }

    @Test func invalidJSONIsQuotedToEightyCharacters() {
        // Given a long non-JSON body
        let body = Data(("oops " + String(repeating: "x", count: 300)).utf8)
        // When parsed
        let error = #expect(throws: ChatResponseError.self) { try ChatCompletion.parseResponse(body) }
        // Then at most 80 characters of it are quoted
        #expect(error?.description == "response is not JSON: 'oops " + String(repeating: "x", count: 75) + "…'")
    }

    @Test(arguments: [
        (#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#, "Incorrect API key provided"),
        (#"{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","code":404}"#, "The model `x` does not exist."),
        (#"{"detail":"Not Found"}"#, "Not Found"),
        (#"{"error":"rate limited"}"#, "rate limited"),
        (#"{"error":{"message":"line one\nline two"}}"#, "line one line two"),
        (#"{"status":"bad"}"#, #"{"status":"bad"}"#),
        ("<html>\n  <head><title>502 Bad Gateway</title></head>\n</html>\n", "<html> <head><title>502 Bad Gateway</title></head> </html>"),
    ])
    func errorMessageFindsTheServersWords(_ body: String, _ expected: String) {
        // Given an error response body
        // When its message is read
        // Then it is the server's message, or the body itself, on one line
        #expect(ChatCompletion.errorMessage(from: Data(body.utf8)) == expected)
    }

    @Test func errorMessageOfEmptyOrLongBodies() {
        // Given an empty body, a blank one, and a long non-JSON one
        // Then there is no message for the first two, and the third is cut to 200 characters
        #expect(ChatCompletion.errorMessage(from: Data()) == nil)
        #expect(ChatCompletion.errorMessage(from: Data(" \n ".utf8)) == nil)
        #expect(ChatCompletion.errorMessage(from: Data(String(repeating: "e", count: 1000).utf8)) == String(repeating: "e", count: 200) + "…")
    }
}
