import Foundation
import WiseCore

/// Makes a judge from its adapter's options: the plug-in point's factory.
///
/// A judge adapter's options type (a small `ParsableArguments` value in the adapter's folder)
/// conforms to this; one line in `WiseHarness/JudgeAdapters.swift` registers it.
public protocol JudgeFactory: AdapterFactory {
    /// Builds the judge for a run's protocol, checking every option before any work; throws a
    /// one-line `UsageError` (or another `WiseError`) naming the option to fix.
    func makeJudge(_ context: JudgeContext) throws -> MadeJudge
}

/// What a judge factory may need besides its own options.
public struct JudgeContext: Sendable {
    /// The protocol of the run being judged.
    public var scoringProtocol: ScoringProtocol
    /// The process environment (API keys are read from the variables options name).
    public var environment: [String: String]
    /// A PEM file of the certificate authority to trust for HTTPS, when one was given.
    public var caFile: String?
    /// The judge is made for `--dry-run` only: nothing will be sent, so no key is needed.
    public var dryRun: Bool

    public init(scoringProtocol: ScoringProtocol, environment: [String: String], caFile: String? = nil, dryRun: Bool = false) {
        self.scoringProtocol = scoringProtocol; self.environment = environment; self.caFile = caFile; self.dryRun = dryRun
    }
}

/// A judge made from its options, with what the console should say about it.
public struct MadeJudge: Sendable {
    public var judge: Judge
    /// The SHA-256 of the rubric texts it asks with (nil for judges without one).
    public var rubricSHA256: String?
    /// Settings that differ from the official evaluator's but are not part of the judge's identity (timeout), for the console.
    public var notes: [String]
    /// Advice to print once before judging (e.g. about BLAS kernels).
    public var advice: [String]
    /// The most items the judge should be given at once (nil: `--concurrency` decides).
    public var maxConcurrency: Int?

    public init(judge: Judge, rubricSHA256: String? = nil, notes: [String] = [], advice: [String] = [], maxConcurrency: Int? = nil) {
        self.judge = judge; self.rubricSHA256 = rubricSHA256; self.notes = notes; self.advice = advice; self.maxConcurrency = maxConcurrency
    }
}
