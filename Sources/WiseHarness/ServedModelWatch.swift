import Foundation
import Synchronization
import WiseCore

/// A judge that watches the served model and system fingerprint every reply names, and applies
/// the drift policy when they change within a pass (a hosted model updated behind a fixed name).
///
/// The label compared is `model` or `model (fingerprint)`, as reports list served models. The
/// baseline is given (what earlier verdicts named) or else the first reply's. Under `warn` each
/// new label is said once and the verdict counts; under `stop` every reply with another label
/// becomes a failure whose `fatal` error ends the pass: the item is recorded as failed (tried
/// again on the next pass, its tokens kept), nothing judged before is touched.
final class ServedModelWatch: Judge {
    let inner: Judge
    let policy: DriftPolicy
    private let state: Mutex<(baseline: String?, said: Set<String>)>

    init(_ inner: Judge, policy: DriftPolicy, baseline: String?) {
        self.inner = inner; self.policy = policy
        state = Mutex((baseline, []))
    }

    var spec: AdapterSpec { inner.spec }
    var provenance: String? { inner.provenance }
    func passNotes() -> [String] { inner.passNotes() }
    func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate? { await inner.estimate(workload) }
    func start() async throws { try await inner.start() }

    /// `model` or `model (fingerprint)`; nil when the reply named no model (a local judge).
    static func label(_ evidence: Evidence) -> String? {
        evidence.servedModel.map { model in evidence.systemFingerprint.map { "\(model) (\($0))" } ?? model }
    }

    func judge(_ request: JudgeRequest) async throws -> Verdict {
        let verdict = try await inner.judge(request)
        guard let served = Self.label(verdict.evidence) else { return verdict }
        let policy = self.policy
        let changedFrom = state.withLock { state -> String? in
            guard let baseline = state.baseline else { state.baseline = served; return nil }
            guard served != baseline, policy == .stop || state.said.insert(served).inserted else { return nil }
            return baseline
        }
        guard let baseline = changedFrom else { return verdict }
        let change = "the served model changed: the reply for prompt \(request.prompt.id) names \(served), earlier replies of this judge named \(baseline)"
        switch policy {
        case .warn:
            Console.note("warning: \(change); going on (--on-drift warn): reports list the served models of each run")
            return verdict
        case .stop:
            throw JudgeFailure(reason: change + " (--on-drift stop)", usage: verdict.usage, fatal: OutcomeError(
                "\(change) (--on-drift stop); what was judged before is kept and this reply is not counted: judge again once the server serves \(baseline) again, or change the judge's identity (another --model) to judge with the new one",
                kind: .incomplete))
        }
    }
}
