import Foundation
import Synchronization
import WiseAPI
import WiseCore
import WiseHTTP

/// Spreads one judge's requests over several servers of one model (`--base-url` given more than
/// once): round robin over the servers that answer, a server that stops answering left out for a
/// while, and a check that every server answers as the same model.
final class ReplicaPool: Sendable {
    /// One server: its chat endpoint and its own API client (retries, backoff, reachability).
    struct Replica: Sendable {
        let baseURL: String
        let endpoint: String
        let client: APIClient
    }

    let replicas: [Replica]
    /// Seconds a server that failed to answer is left out before it is tried again.
    let cooldown: Double

    private struct State {
        var next = 0
        var downUntil: [ContinuousClock.Instant?]
        /// The model the first reply named, and the server it came from.
        var servedModel: (model: String, baseURL: String)?
    }
    private let state: Mutex<State>

    init(replicas: [Replica], cooldown: Double = 30) {
        self.replicas = replicas
        self.cooldown = cooldown
        state = Mutex(State(downUntil: Array(repeating: nil, count: replicas.count)))
    }

    /// The order in which to try servers for one request: those up, starting from the next in
    /// turn, then those left out, soonest back first.
    func order() -> [Int] {
        state.withLock { state in
            let now = ContinuousClock.now
            let start = state.next
            state.next = (state.next + 1) % replicas.count
            let turn = (0..<replicas.count).map { (start + $0) % replicas.count }
            let up = turn.filter { state.downUntil[$0].map { $0 <= now } ?? true }
            let down = turn.filter { !up.contains($0) }.sorted { state.downUntil[$0]! < state.downUntil[$1]! }
            return up + down
        }
    }

    /// Leaves a server out for `cooldown` seconds.
    func markDown(_ index: Int) {
        state.withLock { $0.downUntil[index] = ContinuousClock.now + .seconds(cooldown) }
    }

    /// Takes a server back in after it answered.
    func markUp(_ index: Int) {
        state.withLock { $0.downUntil[index] = nil }
    }

    /// Checks that a reply's model is the one every server so far answered as; the stopping error when not.
    func checkServedModel(_ model: String?, from index: Int) -> OutcomeError? {
        guard replicas.count > 1, let model else { return nil }
        let base = replicas[index].baseURL
        return state.withLock { state in
            guard let first = state.servedModel else {
                state.servedModel = (model, base)
                return nil
            }
            guard first.model != model else { return nil }
            return OutcomeError("the judge's servers answer as different models: \(HTTPError.redact(first.baseURL)) as \(first.model), \(HTTPError.redact(base)) as \(model); give --base-url only for replicas of one model", kind: .usage)
        }
    }

    /// Whether a failure on one server is worth trying on another: it did not answer, or answered
    /// only with overload or server errors, and nothing says every server would refuse the same way.
    static func isServerTrouble(_ failure: JudgeFailure) -> Bool {
        if let fatal = failure.fatal, fatal.kind != .unavailable { return false }
        guard let status = failure.status else { return true }
        return status == 429 || (500...599).contains(status)
    }
}
