import Foundation
import Synchronization
import WiseCore
import WiseJudges
import WiseReport
import WiseRunner
import WiseStore

/// Runs one judging pass under the store's judging lock and tells the truth about how it ended:
/// failures grouped and counted with the next step (exit 75), replies cut off by `max_tokens`,
/// a fatal judge error at once (exit 64, 69 or 77), and SIGINT/SIGTERM as "interrupted: N done, M left" (exit 130).
func judgePass(_ run: StoredRun, store: ResultsStore, judge: Judge, runner: JudgeRunner, options: JudgeOptions, description: String) async throws {
    let lock = try JudgeLock(storePath: store.path)
    defer { withExtendedLifetime(lock) {} }
    Console.note(description)
    let progress = ProgressMeter(label: "judging \(run.name)", interval: options.progressInterval)
    let signals = StopOnSignals { runner.requestStop() }
    let pass = Task { try await runner.judgeAll(progress: progress) }
    signals.onGraceExpired = { pass.cancel() }
    let summary: JudgeRunner.Summary
    do {
        summary = try await pass.value
    } catch let fatal as OutcomeError {
        progress.finish()
        throw OutcomeError("judging stopped: \(fatal.message)", kind: fatal.kind)
    }
    signals.disarm()
    if summary.stopped {
        let left = try store.pendingJudgments(run: run, judge: judge.spec, repeats: options.repeats).count
        let done = summary.scored + summary.unscored + summary.failed
        throw OutcomeError("interrupted: \(done) done, \(left) left; run again to resume", kind: .interrupted)
    }
    var line = "judged \(summary.pending) items in \(String(format: "%.1f", summary.seconds)) s: \(summary.scored) scored, \(summary.unscored) unscored, \(summary.failed) failed; \(summary.reused) answered from the store; tokens \(summary.usage.input) in, \(summary.usage.output) out"
    if let prices = options.prices { line += String(format: ", cost %.4f", prices.cost(summary.usage)) }
    Console.note(line)
    for note in judge.passNotes() { Console.note(note) }
    let board = try Leaderboard([try store.summary(of: run, judgeKey: judge.spec.key)])
    Console.out(board.render(.terminal, prices: options.prices))
    guard summary.failed > 0 else { return }
    for (reason, count) in summary.failureReasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(5) {
        Console.note("  \(count) × \(reason)")
    }
    if summary.failureReasons.count > 5 { Console.note("  … and \(summary.failureReasons.count - 5) other reasons (see `wise failures \(run.name)`)") }
    throw OutcomeError("\(summary.failed) of \(summary.pending) items failed; see `wise failures \(run.name)`, fix the cause, then run the same command again to retry only those", kind: .incomplete)
}

/// How two judge specs differ, parameter by parameter: `max_tokens in body …; reading strict → official`.
public func specDifferences(_ old: AdapterSpec, _ new: AdapterSpec) -> String {
    let keys = Set(old.parameters.keys).union(new.parameters.keys).sorted()
    let changed = keys.filter { old.parameters[$0] != new.parameters[$0] && $0 != "official" }
    guard !changed.isEmpty else { return "they differ only in how they were recorded" }
    return changed.map { "\($0) \(old.parameters[$0] ?? "absent") → \(new.parameters[$0] ?? "absent")" }.joined(separator: "; ")
}

/// Judges a registered run with the judge the options describe (or one already made from them), then prints its report.
public func judgeRun(_ run: StoredRun, store: ResultsStore, options: JudgeOptions, made: MadeJudge? = nil, promptIDs: Set<Int>? = nil) async throws {
    let made = try made ?? options.makeJudge(scoringProtocol: run.scoringProtocol)
    for line in made.advice { Console.note(line) }
    let judge = try options.drift.watch(made.judge, run: run, store: store)
    let runner = JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: made.rubricSHA256,
                             options: .init(repeats: options.repeats, concurrency: min(options.concurrency, made.maxConcurrency ?? .max),
                                            promptIDs: promptIDs))
    if options.dryRun {
        let (pending, answerable) = try runner.plan()
        let requests = pending.count - answerable
        let bytes = pending.prefix(50).compactMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int }
        let workload = JudgeWorkload(requests: requests, samplePrompt: try store.prompts(of: run.set).first,
                                     meanImageBytes: bytes.isEmpty ? 0 : bytes.reduce(0, +) / bytes.count)
        let line = "dry run: \(requests) requests would be sent for run \(run.name) (\(pending.count) items pending, \(answerable) answered from the store)"
        Console.out(line + (await estimateText(judge, workload, prices: options.prices)) + "\n")
        Console.out("judge: \(judge.spec.judgeDescription)\n")
        for use in try store.judges(of: run) where use.spec.key != judge.spec.key && use.spec.parameters["model"] == judge.spec.parameters["model"] {
            Console.out("note: \(use.judgments) judgments of this run were made by the same model under another configuration (\(use.spec.key.prefix(8))); they are not reused, because: \(specDifferences(use.spec, judge.spec))\n")
        }
        return
    }
    try requireUsableImages(run, store: store, promptIDs: promptIDs)
    try await judge.start()
    try await options.drift.checkBeforePass(run, judge: judge, store: store, concurrency: min(options.concurrency, made.maxConcurrency ?? .max))
    try await judgePass(run, store: store, judge: judge, runner: runner, options: options,
                        description: "judge: \(judge.spec.judgeDescription)" + (made.notes.isEmpty ? "" : "; also differs from the official evaluator: " + made.notes.joined(separator: "; ")))
}

/// A judge's estimate of a workload as the tail of a dry-run line: tokens and cost (API judges),
/// time (local ones) and its basis; empty when the judge cannot say.
func estimateText(_ judge: Judge, _ workload: JudgeWorkload, prices: TokenPrices?) async -> String {
    guard let estimate = await judge.estimate(workload) else { return "" }
    var text = ""
    if let tokens = estimate.tokens {
        text += "; about \(tokens.input) input and \(tokens.output) output tokens"
        if let prices { text += String(format: ", about %.2f at the given prices", prices.cost(tokens)) }
    }
    if let seconds = estimate.seconds { text += "; about \(formatDuration(seconds))" }
    return text + " (estimate: \(estimate.basis))"
}

/// Refuses a judge pass that has nothing to judge, saying why, rather than printing an empty board:
/// no image registered for the selection (missing input, exit 66), or images registered but none
/// usable (missing or unreadable files recorded as such: bad data, exit 65).
func requireUsableImages(_ run: StoredRun, store: ResultsStore, promptIDs: Set<Int>?) throws {
    let rows = try store.imageRows(run: run).filter { promptIDs?.contains($0.promptID) ?? true }
    guard !rows.contains(where: { $0.status == .ok }) else { return }
    let scope = promptIDs == nil ? "" : " among the selected prompts"
    guard !rows.isEmpty else {
        throw OutcomeError("run '\(run.name)' has no images registered\(scope); nothing to judge: register or generate its images first (`wise run \(run.name) --images DIR` or `wise generate`)", kind: .missingInput)
    }
    if rows.allSatisfy({ $0.status == .external }) {
        throw OutcomeError("run '\(run.name)' holds imported scores only, no image files\(scope); nothing to judge: register its images as a run with `wise run NAME --images DIR`", kind: .badData)
    }
    let example = rows.first { $0.problem != nil }.map { ", e.g. prompt \($0.promptID) sample \($0.sampleIndex): \($0.problem!)" } ?? ""
    throw OutcomeError("run '\(run.name)' has \(rows.count) images registered\(scope) but none usable\(example); nothing to judge: see `wise failures \(run.name)`, fix the images, then register them again", kind: .badData)
}
