import ArgumentParser
import WiseOptions
import WiseStats

/// The options of adaptive judging on `wise judge`: what to stop at, the budget, and the order.
public struct AdaptiveOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Judge adaptively and stop at a target: `separated` (the adjacent rank intervals of the \
        runs named separate; two runs or more) or `width=W` (every run's overall interval at most \
        W wide). Repeat to stop at the first one met. Items go in a seeded, category-stratified \
        random order; the report is an estimate from n of 1000 items until a plain `wise judge` \
        completes the run. Example: wise judge a b c --until separated --max-judgments 1500
        """, valueName: "target"))
    public var until: [String] = []

    @Option(help: ArgumentHelp("Judge adaptively and send at most this many requests, all runs together.", valueName: "n"))
    public var maxJudgments: Int?

    @Option(help: ArgumentHelp("Judge adaptively and spend at most this much at --price-in/--price-out (measured tokens so far, the judge's estimate before the first).", valueName: "cost"))
    public var maxCost: Double?

    @Option(help: ArgumentHelp("The seed of the adaptive order (the same seed and set give the same order).", valueName: "n"))
    public var orderSeed: UInt64 = 1

    @Option(help: ArgumentHelp("Items per run judged between two looks at the targets.", valueName: "n"))
    public var checkEvery = 50

    @Option(help: ArgumentHelp("Items per run judged before a target may stop the pass.", valueName: "n"))
    public var minItems = 100

    @Option(help: ArgumentHelp("Bootstrap resamples per look at the targets.", valueName: "n"))
    public var adaptiveResamples = 2000

    @Option(help: ArgumentHelp("The coverage of the intervals the targets read: higher decides wrongly less often and judges more.", valueName: "c"))
    public var adaptiveConfidence = 0.95

    public init() {}

    /// Whether any adaptive option was given.
    public var isAdaptive: Bool { !until.isEmpty || maxJudgments != nil || maxCost != nil }

    /// The targets `--until` names.
    public func targets() throws -> [AdaptiveStopping.Target] {
        try until.map { text in
            if text == "separated" { return .separated }
            if text.hasPrefix("width="), let w = Double(text.dropFirst(6)), w.isFinite, w > 0, w <= 1 { return .width(w) }
            throw ValidationError("--until takes separated or width=W with 0 < W ≤ 1 (e.g. width=0.02), not '\(text)'")
        }
    }

    public func validate() throws {
        _ = try targets()
        if let maxJudgments { try checkRange("--max-judgments", maxJudgments, 1...100_000_000) }
        if let maxCost { try checkRange("--max-cost", maxCost, 0.000001...1e9) }
        try checkRange("--check-every", checkEvery, 1...1000)
        try checkRange("--min-items", minItems, 1...1000)
        try checkRange("--adaptive-resamples", adaptiveResamples, 100...100_000)
        try checkRange("--adaptive-confidence", adaptiveConfidence, 0.5...0.999)
    }
}
