import Foundation
import Synchronization

/// Seconds in-flight requests get to finish after SIGINT/SIGTERM before they are abandoned.
public let interruptGrace = 10.0

/// SIGINT and SIGTERM received during a pass, counted by a plain C handler (atomics are
/// async-signal-safe; a dispatch source can miss a signal that arrives before it is registered).
let signalsReceived = Atomic<Int>(0)

/// The C signal handler: counts, nothing else.
private func countSignal(_ number: Int32) { _ = signalsReceived.add(1, ordering: .relaxed) }

/// Turns the first SIGINT or SIGTERM into a request to stop taking work, and abandons what is in
/// flight after `interruptGrace` seconds (or at a second signal).
public final class StopOnSignals: Sendable {
    private let watcher: Task<Void, Never>
    private let action = GraceAction()

    /// What to do once in-flight work has had its grace; set before a signal can matter.
    public var onGraceExpired: @Sendable () -> Void {
        get { action.run.withLock { $0 } }
        set { action.run.withLock { $0 = newValue } }
    }

    /// The abandon action, shared with the watcher task.
    final class GraceAction: Sendable {
        let run = Mutex<@Sendable () -> Void>({})
    }

    public init(onStop: @escaping @Sendable () -> Void) {
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
    public func disarm() {
        watcher.cancel()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
