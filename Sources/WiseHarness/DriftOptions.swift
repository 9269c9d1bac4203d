import ArgumentParser
import Foundation
import WiseCore
import WiseOptions
import WiseStore

/// What `--on-drift` does when a judge is found to have drifted.
public enum DriftPolicy: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Say so on stderr and go on judging.
    case warn
    /// Judge nothing more: one line, exit 75; what was judged stays in the store.
    case stop
}

/// The drift options of a judging pass: an anchor re-check before it (`--drift-check N`) and a
/// watch on the served model and system fingerprint of every reply during it (`--on-drift`).
public struct DriftOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Before judging, judge again N items this judge already judged (a seeded, category-stratified anchor set), bypassing the store's cache, and compare with the stored verdicts: Cohen's κ and the score shift, with 95% intervals. The new verdicts are printed, never stored.", valueName: "N"))
    public var driftCheck: Int?

    @Option(help: ArgumentHelp("The run whose judged items are the anchors (default: the run being judged).", valueName: "run"))
    public var driftAnchors: String?

    @Option(help: ArgumentHelp("Seed of the anchor set and its bootstrap: the same seed picks the same anchors.", valueName: "n"))
    public var driftSeed: UInt64 = 1

    @Option(help: ArgumentHelp("Drift when the lowest per-aspect κ of the anchors is below this.", valueName: "kappa"))
    public var driftMinKappa = 0.6

    @Option(help: ArgumentHelp("Drift when the anchors' score shift (new − stored; weighted by the official category weights) is larger than this either way.", valueName: "delta"))
    public var driftMaxDelta = 0.05

    @Option(help: ArgumentHelp("warn (say so and go on; the default with --drift-check) or stop (judge nothing more, exit 75, keep what was judged). Either also watches every reply's served model and system fingerprint: a change during the pass is drift.", valueName: "policy"))
    public var onDrift: DriftPolicy?

    public init() {}

    public func validate() throws {
        if let driftCheck { try checkRange("--drift-check", driftCheck, 1...100_000) }
        try checkRange("--drift-min-kappa", driftMinKappa, -1...1)
        try checkRange("--drift-max-delta", driftMaxDelta, 0...1)
        if driftAnchors != nil && driftCheck == nil { throw ValidationError("--drift-anchors names where --drift-check takes its anchors; add --drift-check N") }
    }

    /// The policy in force: `--on-drift`, else warn when a drift check was asked for, else none (no watch).
    public var policy: DriftPolicy? { onDrift ?? (driftCheck != nil ? .warn : nil) }

    /// The judge a pass should use: `judge` itself without a policy, else `judge` watched for a
    /// change of served model, its baseline the served model this judge's earlier verdicts on
    /// `run` (else on the anchor run) name most often, else the first reply of the pass.
    func watch(_ judge: Judge, run: StoredRun, store: ResultsStore) throws -> Judge {
        guard let policy else { return judge }
        var served = try store.servedModels(of: run, judge: judge.spec)
        if served.isEmpty, let anchors = driftAnchors, let other = try store.run(named: anchors) {
            served = try store.servedModels(of: other, judge: judge.spec)
        }
        let baseline = served.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
        return ServedModelWatch(judge, policy: policy, baseline: baseline)
    }

    /// The anchor re-check before a pass, when `--drift-check` asks for one.
    func checkBeforePass(_ run: StoredRun, judge: Judge, store: ResultsStore, concurrency: Int) async throws {
        guard let policy, driftCheck != nil else { return }
        try await DriftCheck(options: self, policy: policy).run(before: run, judge: judge, store: store, concurrency: concurrency)
    }
}
