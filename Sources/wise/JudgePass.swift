import Foundation
import Synchronization
import WiseCore
import WiseHTTP
import WiseJudges
import WiseReport
import WiseRunner
import WiseStore

/// Seconds in-flight requests get to finish after SIGINT/SIGTERM before they are abandoned.
let interruptGrace = 10.0

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

/// The transport options the judge options ask for: a CA file from `--ca-cert`, else `SSL_CERT_FILE`, else `CURL_CA_BUNDLE`.
func transportOptions(_ options: JudgeOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HTTPTransport.Options {
    var transport = HTTPTransport.Options()
    let named: (String, String)? = options.caCert.map { ("--ca-cert", $0) }
        ?? environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : ("SSL_CERT_FILE", $0) }
        ?? environment["CURL_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : ("CURL_CA_BUNDLE", $0) }
    if let (source, path) = named {
        guard PathKind(path) == .file, FileManager.default.isReadableFile(atPath: path) else {
            throw UsageError("\(source) \(path) is not a readable file; name the PEM file of the certificate authority that signed the judge server's certificate")
        }
        transport.caFile = URL(fileURLWithPath: path).standardizedFileURL.path
    }
    return transport
}

/// SIGINT and SIGTERM received during a pass, counted by a plain C handler (atomics are
/// async-signal-safe; a dispatch source can miss a signal that arrives before it is registered).
let signalsReceived = Atomic<Int>(0)

/// The C signal handler: counts, nothing else.
private func countSignal(_ number: Int32) { _ = signalsReceived.add(1, ordering: .relaxed) }

/// Turns the first SIGINT or SIGTERM into a request to stop taking work, and abandons what is in
/// flight after `interruptGrace` seconds (or at a second signal).
final class StopOnSignals: Sendable {
    private let watcher: Task<Void, Never>
    private let action = GraceAction()

    /// What to do once in-flight work has had its grace; set before a signal can matter.
    var onGraceExpired: @Sendable () -> Void {
        get { action.run.withLock { $0 } }
        set { action.run.withLock { $0 = newValue } }
    }

    /// The abandon action, shared with the watcher task.
    final class GraceAction: Sendable {
        let run = Mutex<@Sendable () -> Void>({})
    }

    init(onStop: @escaping @Sendable () -> Void) {
        signalsReceived.store(0, ordering: .relaxed)
        // A parent may have started wise with these signals blocked (a mask is inherited, and
        // dispatch worker threads block most signals); unblocked here, this thread can take them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        for number in [SIGINT, SIGTERM] {
            signal(number, countSignal)
        }
        let expired = action
        watcher = Task.detached {
            var stoppedAt: ContinuousClock.Instant?
            while !Task.isCancelled {
                let count = signalsReceived.load(ordering: .relaxed)
                if count >= 1, stoppedAt == nil {
                    stoppedAt = .now
                    FileHandle.standardError.write(Data("\nwise: stopping: no new requests; waiting up to \(Int(interruptGrace)) s for those in flight (signal again to abandon them)\n".utf8))
                    onStop()
                }
                if let stoppedAt, count >= 2 || ContinuousClock.now - stoppedAt >= .seconds(interruptGrace) {
                    expired.run.withLock { $0 }()
                    return
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Restores the default signal behaviour once the pass is over.
    func disarm() {
        watcher.cancel()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
