import Foundation

/// Scores one image against the prompt it was made for; the plug-in point for judges.
public protocol Judge: Sendable {
    /// What this judge is, recorded with every judgment (adapter, model, parameters, protocol, rubric hash).
    var spec: AdapterSpec { get }
    /// Judges one image. Throws `JudgeFailure` when no verdict could be had (the item is then
    /// recorded as failed and tried again on the next run); a reply that cannot be read is a
    /// verdict (`.unscored`), not an error.
    func judge(_ request: JudgeRequest) async throws -> Verdict
}

/// One image to judge, with its prompt.
public struct JudgeRequest: Sendable {
    public var prompt: Prompt
    public var image: Data
    public var format: ImageFormat
    /// Which independent judgment of this image this is (0, 1, … for `--repeats`).
    public var repeatIndex: Int

    public init(prompt: Prompt, image: Data, format: ImageFormat, repeatIndex: Int) {
        self.prompt = prompt; self.image = image; self.format = format; self.repeatIndex = repeatIndex
    }
}

/// Tokens a judgment spent, as the API reported them.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var input: Int
    public var output: Int
    public init(input: Int, output: Int) { self.input = input; self.output = output }
    public static let zero = TokenUsage(input: 0, output: 0)
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage { TokenUsage(input: a.input + b.input, output: a.output + b.output) }
}

/// What a judge said about one image.
public enum Verdict: Sendable, Equatable {
    /// Scores read from the reply.
    case scored(AspectScores, reply: String, usage: TokenUsage)
    /// The judge answered, but no score could be read from any of its replies: data, not an error.
    case unscored(reason: String, replies: [String], usage: TokenUsage)

    public var usage: TokenUsage {
        switch self {
        case .scored(_, _, let usage), .unscored(_, _, let usage): return usage
        }
    }
}

/// No verdict could be had for one image (network, server or API errors, after retries).
public struct JudgeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// The HTTP status of the last attempt, if one came back.
    public var status: Int?
    /// Tokens spent on the way (a reply that was cut off, say).
    public var usage: TokenUsage
    public init(reason: String, status: Int? = nil, usage: TokenUsage = .zero) {
        self.reason = reason; self.status = status; self.usage = usage
    }
    public var description: String { reason }
}
