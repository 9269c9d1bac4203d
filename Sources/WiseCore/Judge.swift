import Foundation

/// Scores one image against the prompt it was made for; the plug-in point for judges.
public protocol Judge: Sendable {
    /// What this judge is, recorded with every judgment (adapter, model, parameters, protocol, rubric hash).
    var spec: AdapterSpec { get }
    /// Judges one image. Throws `JudgeFailure` when no verdict could be had (the item is then
    /// recorded as failed and tried again on the next run); a reply that cannot be read is a
    /// verdict (`.unscored`), not an error.
    func judge(_ request: JudgeRequest) async throws -> Verdict
    /// Where the judge was reached (a URL without secrets), recorded with each judgment but not
    /// part of the judge's identity: the same model asked the same way at another address is the same judge.
    var provenance: String? { get }
    /// Lines worth telling the user after a pass (replies cut off by a token limit, say); empty when none.
    func passNotes() -> [String]
    /// What judging a workload would take, for `--dry-run`: tokens and cost for an API judge,
    /// seconds for a local one. Called before any image is judged; nil when the judge cannot say.
    func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate?
    /// Checks, before the first item of a pass, what must hold for any item to succeed (that
    /// several servers serve one model, say); throws the error that stops the pass when not.
    func start() async throws
}

extension Judge {
    public var provenance: String? { nil }
    public func start() async throws {}
    public func passNotes() -> [String] { [] }
    public func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate? { nil }
}

/// The work a dry run asks a judge to estimate.
public struct JudgeWorkload: Sendable {
    /// Images to judge (after the store's cache), repeats included.
    public var requests: Int
    /// A prompt of the run, to size what the judge would send.
    public var samplePrompt: Prompt?
    /// The mean size of the images, in bytes.
    public var meanImageBytes: Int
    public init(requests: Int, samplePrompt: Prompt?, meanImageBytes: Int) {
        self.requests = requests; self.samplePrompt = samplePrompt; self.meanImageBytes = meanImageBytes
    }
}

/// What a judge expects a workload to take: tokens (API judges) and/or seconds (local judges).
public struct JudgeEstimate: Sendable, Equatable {
    /// Tokens the requests would spend, when the judge pays in tokens.
    public var tokens: TokenUsage?
    /// Wall-clock seconds, when the judge can say.
    public var seconds: Double?
    /// How the estimate was made, for the reader: "an image at 765 tokens", "measured on 1 probe image".
    public var basis: String
    public init(tokens: TokenUsage? = nil, seconds: Double? = nil, basis: String) {
        self.tokens = tokens; self.seconds = seconds; self.basis = basis
    }
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
    /// The most tokens one count may hold; a server's larger number is clamped to it, so sums never overflow.
    public static let maximum = 1 << 40
    /// Adds counts, saturating at `maximum` rather than overflowing.
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(input: clamp(a.input, b.input), output: clamp(a.output, b.output))
    }
    /// A count as a server reported it, made safe: negative, fractional or absurd numbers become 0…`maximum`.
    public static func clamped(_ value: Int) -> Int { min(max(value, 0), maximum) }
    private static func clamp(_ a: Int, _ b: Int) -> Int { clamped(clamped(a) + clamped(b)) }
}

/// What a judge said about one image: aspect scores in the protocol's scale, or why there are none.
///
/// Both cases carry the judge's `Evidence` (reply texts and tokens for an LLM judge; raw
/// similarities for a CLIP-style one), which the store keeps beside the verdict.
public enum Verdict: Sendable, Equatable {
    /// Scores for every aspect of the protocol.
    case scored(AspectScores, evidence: Evidence)
    /// The judge answered, but no score could be had from it: data, not an error.
    case unscored(reason: String, evidence: Evidence)

    /// What the judge saw and said on the way to this verdict.
    public var evidence: Evidence {
        switch self {
        case .scored(_, let evidence), .unscored(_, let evidence): return evidence
        }
    }

    public var usage: TokenUsage { evidence.usage }

    /// The judgment status this verdict is stored under.
    public var status: JudgmentStatus {
        switch self {
        case .scored: return .ok
        case .unscored: return .unscored
        }
    }
}

/// What a judge produced besides its scores, kept with every judgment.
///
/// An LLM judge fills `replies` and `usage` (and `servedModel` / `systemFingerprint` from the
/// server's reply); a judge without tokens, such as CLIP, fills `measurements` with its raw
/// continuous scores. Fields a judge has nothing for stay empty.
public struct Evidence: Sendable, Equatable {
    /// Every reply text the judge received for this image, oldest first; the last one is the one that counted.
    public var replies: [String]
    /// Tokens spent, as the API reported them.
    public var usage: TokenUsage
    /// Raw continuous scores by name (e.g. `clip_score_explanation`), in the judge's own units.
    public var measurements: [String: Double]
    /// The model the server says answered (its reply's `model` field), when it said.
    public var servedModel: String?
    /// The server's `system_fingerprint`, when it sent one.
    public var systemFingerprint: String?
    /// Other readings of the reply that counted, by reading name (e.g. `strict` when `official` counted).
    public var otherReadings: [String: ReadingOutcome]
    /// Where the reply came from, when the judge spreads requests over several servers.
    public var endpoint: String?

    public init(replies: [String] = [], usage: TokenUsage = .zero, measurements: [String: Double] = [:],
                servedModel: String? = nil, systemFingerprint: String? = nil, otherReadings: [String: ReadingOutcome] = [:]) {
        self.replies = replies; self.usage = usage; self.measurements = measurements
        self.servedModel = servedModel; self.systemFingerprint = systemFingerprint; self.otherReadings = otherReadings
    }
}

/// What one way of reading a reply made of it: scores, or why none could be read.
public enum ReadingOutcome: Sendable, Equatable {
    case scores(AspectScores)
    case unreadable(reason: String)

    public var scores: AspectScores? {
        if case .scores(let scores) = self { return scores }
        return nil
    }
}

/// How a judgment ended, as the store records it.
public enum JudgmentStatus: String, Sendable, Codable, CaseIterable {
    /// Scored: the aspects were read.
    case ok
    /// The judge answered but no score could be had; the raw replies are kept.
    case unscored
    /// No verdict (network, server or API errors after retries); tried again on the next pass.
    case failed

    /// Whether the judgment is final (never redone on a re-run).
    public var isFinal: Bool { self != .failed }
}

/// Whether a registered image can be judged.
public enum ImageStatus: String, Sendable, Codable, CaseIterable {
    /// A usable image file, hashed at registration.
    case ok
    /// No usable image for the prompt (absent, empty or unreadable).
    case missing
    /// Scores imported from elsewhere; the image itself is not in the store.
    case external
}

/// No verdict could be had for one image (network, server or API errors, after retries).
public struct JudgeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// The HTTP status of the last attempt, if one came back.
    public var status: Int?
    /// Tokens spent on the way (a reply that was cut off, say).
    public var usage: TokenUsage
    /// Set when retrying cannot help any item (bad key, unknown model, untrusted certificate,
    /// nothing listening): the pass should stop at once with this one-line error.
    public var fatal: OutcomeError?
    public init(reason: String, status: Int? = nil, usage: TokenUsage = .zero, fatal: OutcomeError? = nil) {
        self.reason = reason; self.status = status; self.usage = usage; self.fatal = fatal
    }
    public var description: String { reason }

    /// The common form of a failure reason, for counting: the retry count dropped, so the same
    /// server answer counts once whatever attempt it came on.
    public static func group(_ reason: String) -> String {
        guard reason.hasPrefix("gave up after "), let range = reason.range(of: "; last: ") else { return reason }
        return String(reason[range.upperBound...])
    }
}
