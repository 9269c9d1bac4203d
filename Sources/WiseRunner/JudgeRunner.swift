import Foundation
import Synchronization
import WiseCore
import WiseStore

/// Judges the pending images of a run: many at once, each result committed as it arrives.
///
/// Work already in the store is never redone: final judgments are skipped, identical judgments
/// from other runs are copied without a request, and failed items are tried again.
public final class JudgeRunner: Sendable {
    /// What the runner should do.
    public struct Options: Sendable {
        /// Independent judgments per image.
        public var repeats = 1
        /// Requests in flight at once.
        public var concurrency = 16
        /// Only these prompt ids (`--ids`, `--shard`); nil for all.
        public var promptIDs: Set<Int>?
        public init(repeats: Int = 1, concurrency: Int = 16, promptIDs: Set<Int>? = nil) {
            self.repeats = repeats; self.concurrency = concurrency; self.promptIDs = promptIDs
        }
    }

    /// What a judging pass found and did.
    public struct Summary: Sendable, Equatable {
        /// Items without a final judgment when the pass began (after answers from the store).
        public var pending = 0
        /// Items answered from identical judgments already in the store.
        public var reused = 0
        public var scored = 0
        public var unscored = 0
        public var failed = 0
        public var usage = TokenUsage.zero
        public var seconds = 0.0
        /// Failure reasons of this pass, in their common form (`JudgeFailure.group`), with how many items each.
        public var failureReasons: [String: Int] = [:]
        /// True when `requestStop()` ended the pass before every pending item was judged (not when the
        /// stop came only after the last outcome).
        public var stopped = false
    }

    let store: ResultsStore
    let run: StoredRun
    let judge: Judge
    let rubricSHA256: String?
    let options: Options
    /// The image hash (the one hasher; a test counts its calls).
    let hash: @Sendable (Data) -> String
    /// Images whose bytes were checked against their registered hash in this runner's lifetime:
    /// each file is hashed once, not once per repeat.
    private let checked = Mutex<Set<Int64>>([])
    private let stopRequested = Mutex(false)

    /// Stops taking new items; those in flight finish (or end when the caller cancels the pass).
    public func requestStop() { stopRequested.withLock { $0 = true } }
    private var isStopping: Bool { stopRequested.withLock { $0 } }

    public init(store: ResultsStore, run: StoredRun, judge: Judge, rubricSHA256: String?, options: Options,
                hash: @escaping @Sendable (Data) -> String = { SHA256.hex($0) }) {
        self.store = store; self.run = run; self.judge = judge; self.rubricSHA256 = rubricSHA256; self.options = options
        self.hash = hash
    }

    /// What a pass would do, writing nothing: items pending, and how many the store could answer.
    public func plan() throws -> (pending: [PendingJudgment], answerable: Int) {
        let pending = try pendingJudgments()
        let answerable = try store.reuseCachedJudgments(pending, judge: judge.spec, prompts: try prompts(), countOnly: true)
        return (pending, answerable)
    }

    /// Judges everything pending, reporting progress as it goes.
    public func judgeAll(progress: ProgressMeter? = nil) async throws -> Summary {
        let start = ContinuousClock.now
        let prompts = try self.prompts()
        var summary = Summary()
        let before = try pendingJudgments()
        summary.reused = try store.reuseCachedJudgments(before, judge: judge.spec, prompts: prompts)
        let pending = summary.reused == 0 ? before : try pendingJudgments()
        summary.pending = pending.count
        progress?.start(total: pending.count)
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = pending.makeIterator()
            for _ in 0..<max(1, options.concurrency) {
                guard !isStopping, let item = next.next() else { break }
                group.addTask { try await self.process(item, prompts: prompts, tally: tally, progress: progress) }
            }
            while try await group.next() != nil {
                if !isStopping, let item = next.next() {
                    group.addTask { try await self.process(item, prompts: prompts, tally: tally, progress: progress) }
                }
            }
        }
        progress?.finish()
        let counts = tally.snapshot()
        summary.scored = counts.scored
        summary.unscored = counts.unscored
        summary.failed = counts.failed
        summary.usage = counts.usage
        summary.failureReasons = counts.reasons
        // A stop asked for after the last item got its outcome (it raced the end of the pass) ended nothing early.
        summary.stopped = isStopping && counts.scored + counts.unscored + counts.failed < pending.count
        let elapsed = ContinuousClock.now - start
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }

    /// The run's pending items among the selected prompt ids.
    private func pendingJudgments() throws -> [PendingJudgment] {
        let all = try store.pendingJudgments(run: run, judge: judge.spec, repeats: options.repeats)
        guard let ids = options.promptIDs else { return all }
        return all.filter { ids.contains($0.promptID) }
    }

    private func prompts() throws -> [Int: Prompt] {
        Dictionary(uniqueKeysWithValues: try store.prompts(of: run.set).map { ($0.id, $0) })
    }

    /// Judges one item and records the outcome. A failure retrying cannot fix is recorded and then
    /// thrown (as its `fatal` error), which ends the pass; an item abandoned by cancellation records nothing.
    private func process(_ item: PendingJudgment, prompts: [Int: Prompt], tally: Tally, progress: ProgressMeter?) async throws {
        guard let prompt = prompts[item.promptID] else { return }
        let start = ContinuousClock.now
        let result: Result<Verdict, JudgeFailure>
        do {
            let image = try readImage(item)
            result = .success(try await judge.judge(JudgeRequest(prompt: prompt, image: image, format: item.format, repeatIndex: item.repeatIndex)))
        } catch let failure as JudgeFailure {
            result = .failure(failure)
        } catch is CancellationError {
            return
        }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        try await store.record(JudgmentRecord(verdict: result, latencyMs: ms, attempts: 1), for: item, prompt: prompt,
                               judge: judge.spec, scoringProtocol: run.scoringProtocol, rubricSHA256: rubricSHA256,
                               provenance: (try? result.get())?.evidence.endpoint ?? judge.provenance)
        tally.add(result)
        let counts = tally.snapshot()
        progress?.update(done: counts.scored + counts.unscored + counts.failed, failed: counts.failed, unscored: counts.unscored)
        if case .failure(let failure) = result, let fatal = failure.fatal { throw fatal }
    }

    /// Whether a file still has the size it had when it was hashed at registration and was last
    /// modified before then, so its registered hash still holds and it need not be hashed again.
    /// (A file rewritten since has a later modification time; one rewritten with its old time
    /// forged and the same size would pass, which is why a run can be re-registered to re-hash.)
    static func unchangedSinceRegistration(_ item: PendingJudgment) -> Bool {
        guard let size = item.byteCount, let registered = item.registeredAt else { return false }
        var info = stat()
        guard stat(item.path, &info) == 0, Int(info.st_size) == size else { return false }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return modified < registered
    }

    /// Reads an image and checks it is still the one registered.
    private func readImage(_ item: PendingJudgment) throws -> Data {
        let known = checked.withLock({ $0.contains(item.imageID) }) || Self.unchangedSinceRegistration(item)
        let data = try Self.readRegistered(path: item.path, sha256: known ? nil : item.sha256, hash: hash)
        if !known { checked.withLock { _ = $0.insert(item.imageID) } }
        return data
    }

    /// The bytes of a registered image for a judge request, or a `JudgeFailure` saying why not: the
    /// file cannot be read any more, or its SHA-256 is no longer `sha256` (nil: not checked).
    public static func readRegistered(path: String, sha256: String?, hash: (Data) -> String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JudgeFailure(reason: "image \(path) cannot be read any more; restore it and judge again")
        }
        guard let sha256 else { return data }
        let sha = hash(data)
        guard sha == sha256 else {
            throw JudgeFailure(reason: "image \(path) changed since it was registered (SHA-256 \(sha.prefix(12))…, registered \(sha256.prefix(12))…); register the new images as a new run")
        }
        return data
    }
}

/// Thread-safe counts of outcomes.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (scored: 0, unscored: 0, failed: 0, usage: TokenUsage.zero, reasons: [String: Int]())

    func add(_ result: Result<Verdict, JudgeFailure>) {
        lock.lock(); defer { lock.unlock() }
        switch result {
        case .success(let verdict):
            if verdict.status == .ok { counts.scored += 1 } else { counts.unscored += 1 }
            counts.usage = counts.usage + verdict.usage
        case .failure(let failure):
            counts.failed += 1; counts.usage = counts.usage + failure.usage
            counts.reasons[JudgeFailure.group(failure.reason), default: 0] += 1
        }
    }

    func snapshot() -> (scored: Int, unscored: Int, failed: Int, usage: TokenUsage, reasons: [String: Int]) {
        lock.lock(); defer { lock.unlock() }
        return counts
    }
}

