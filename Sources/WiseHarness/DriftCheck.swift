import Foundation
import WiseCore
import WiseReport
import WiseRunner
import WiseStats
import WiseStore

/// The anchor re-check before a judging pass (`--drift-check N`): a fixed, seeded,
/// category-stratified set of items this judge identity already judged is judged again, straight
/// through the judge (no store, no cache), and compared with the stored verdicts as a `JudgeShift`.
///
/// Drift is the lowest per-aspect κ below `--drift-min-kappa`, or the score shift beyond
/// `--drift-max-delta` either way (point estimates; the intervals are printed beside them), or no
/// anchor scored again. The new verdicts are printed as a summary and never stored, so the store
/// and every report stay as they were.
struct DriftCheck {
    /// An item already judged: its prompt, image and stored verdict.
    struct Anchor {
        var prompt: Prompt
        var image: StudyImage
        var stored: StudyJudgment
    }

    let options: DriftOptions
    let policy: DriftPolicy

    /// Picks `count` anchors: per category a share proportional to its judged items (largest
    /// remainder, and one for each category while there are enough), each category's items in
    /// prompt order shuffled by one `Xoshiro256StarStar` seeded with `seed`, categories in order.
    static func pick(_ candidates: [Anchor], count: Int, seed: UInt64) -> [Anchor] {
        let groups = Dictionary(grouping: candidates, by: \.prompt.category)
        let categories = Category.allCases.filter { groups[$0] != nil }
        let total = min(count, candidates.count)
        guard total > 0 else { return [] }
        var quota: [Category: Int] = [:], remainders: [(Category, Double)] = []
        for c in categories {
            let share = Double(total) * Double(groups[c]!.count) / Double(candidates.count)
            quota[c] = Int(share.rounded(.down))
            remainders.append((c, share - share.rounded(.down)))
        }
        var left = total - quota.values.reduce(0, +)
        for (c, _) in remainders.sorted(by: { $0.1 > $1.1 }) where left > 0 { quota[c]! += 1; left -= 1 }
        // One anchor for every category when there are enough, taken from the largest quotas.
        if total >= categories.count {
            for c in categories where quota[c] == 0 {
                let donor = categories.filter { quota[$0]! > 1 }.max { quota[$0]! < quota[$1]! }!
                quota[donor]! -= 1; quota[c] = 1
            }
        }
        var rng = Xoshiro256StarStar(seed: seed)
        var picked: [Anchor] = []
        for c in categories {
            var items = groups[c]!.sorted { $0.prompt.id < $1.prompt.id }
            for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, rng.next(below: i + 1)) }
            picked += items.prefix(quota[c]!)
        }
        return picked.sorted { $0.prompt.id < $1.prompt.id }
    }

    /// The items of `run` that `judge` scored, with their first sample's image.
    static func candidates(of run: StoredRun, judge: AdapterSpec, store: ResultsStore) throws -> [Anchor] {
        let prompts = Dictionary(uniqueKeysWithValues: try store.prompts(of: run.set).map { ($0.id, $0) })
        let images = Dictionary(try store.studyImages(of: run).map { ($0.promptID, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<Int>(), out: [Anchor] = []
        for j in try store.studyJudgments(of: run, judge: judge) where j.status == .ok && !seen.contains(j.promptID) {
            guard let prompt = prompts[j.promptID], let image = images[j.promptID], image.status == .ok, image.path != nil else { continue }
            seen.insert(j.promptID)
            out.append(Anchor(prompt: prompt, image: image, stored: j))
        }
        return out
    }

    /// Runs the check before judging `run`; throws under `stop` when it finds drift.
    func run(before run: StoredRun, judge: Judge, store: ResultsStore, concurrency: Int) async throws {
        guard let count = options.driftCheck else { return }
        let source = try options.driftAnchors.map { try store.requireRun($0) } ?? run
        guard source.scoringProtocol == run.scoringProtocol else {
            throw UsageError("--drift-anchors \(source.name) uses protocol \(source.scoringProtocol.rawValue), run \(run.name) \(run.scoringProtocol.rawValue); name a run of the same protocol")
        }
        let candidates = try Self.candidates(of: source, judge: judge.spec, store: store)
        guard !candidates.isEmpty else {
            throw UsageError("--drift-check: run \(source.name) has no item scored by this judge (\(judge.spec.key.prefix(8))) to judge again; judge some items first, or name a run it judged with --drift-anchors RUN")
        }
        let anchors = Self.pick(candidates, count: count, seed: options.driftSeed)
        Console.note("drift check: judging again \(anchors.count) anchors of run \(source.name) (seed \(options.driftSeed)\(count > anchors.count ? "; only \(anchors.count) items were judged" : "")), bypassing the store")
        let (again, usage, failed) = try await rejudge(anchors, judge: judge, scoringProtocol: run.scoringProtocol, concurrency: concurrency)
        let units = anchors.map { a in
            JudgeShift.Unit(run: source.name, promptID: a.prompt.id, category: a.prompt.category, reference: a.stored, candidate: again[a.prompt.id])
        }
        let shift = try JudgeShift(scoringProtocol: run.scoringProtocol, units: units, seed: options.driftSeed)
        Console.note("drift check: \(shift.summaryLine(places: 4)); \(failed) failed; tokens \(usage.input) in, \(usage.output) out")
        if !shift.flips.isEmpty {
            Console.note("drift check: flipped prompts " + shift.flips.prefix(20).map { "\($0.promptID)" }.joined(separator: ", ") + (shift.flips.count > 20 ? ", …" : ""))
        }
        var problems: [String] = []
        if shift.paired == 0 { problems.append("no anchor was scored again, so nothing shows the judge still answers as it did") }
        if let kappa = shift.lowestKappa, kappa < options.driftMinKappa {
            problems.append("κ \(String(format: "%.3f", kappa)) is below --drift-min-kappa \(formatNumber(options.driftMinKappa))")
        }
        if let delta = shift.headlineShift, abs(delta) > options.driftMaxDelta {
            problems.append("the score shifted by \(String(format: "%+.4f", delta)), beyond --drift-max-delta \(formatNumber(options.driftMaxDelta))")
        }
        guard !problems.isEmpty else { return Console.note("drift check: no drift past the thresholds") }
        let found = "drift found on \(anchors.count) anchors of run \(source.name): " + problems.joined(separator: "; ")
        switch policy {
        case .warn:
            Console.note("warning: \(found); judging anyway (--on-drift warn)")
        case .stop:
            throw OutcomeError("\(found); nothing was judged and the store is as it was (--on-drift stop): check the judge (`wise judge \(run.name) --dry-run` says what it is), or judge with --on-drift warn to go on", kind: .incomplete)
        }
    }

    /// Judges each anchor again, at most `concurrency` at once: the verdicts by prompt id, tokens
    /// spent, and how many failed. A fatal failure (bad key, a served-model change under stop) is thrown.
    func rejudge(_ anchors: [Anchor], judge: Judge, scoringProtocol: ScoringProtocol, concurrency: Int) async throws -> ([Int: StudyJudgment], TokenUsage, Int) {
        var verdicts: [Int: StudyJudgment] = [:], usage = TokenUsage.zero, failed = 0
        try await withThrowingTaskGroup(of: (Int, Result<Verdict, JudgeFailure>).self) { group in
            var next = anchors.makeIterator()
            func add(_ anchor: Anchor) {
                group.addTask {
                    do { return (anchor.prompt.id, .success(try await judge.judge(try Self.request(anchor)))) }
                    catch let failure as JudgeFailure { return (anchor.prompt.id, .failure(failure)) }
                }
            }
            for _ in 0..<max(1, concurrency) { if let anchor = next.next() { add(anchor) } }
            while let (id, result) = try await group.next() {
                switch result {
                case .success(let verdict):
                    usage = usage + verdict.usage
                    if case .scored(let scores, _) = verdict {
                        verdicts[id] = StudyJudgment(promptID: id, repeatIndex: 0, status: .ok, scores: scores, wiscore: scoringProtocol.itemScore(scores), rawReply: verdict.evidence.replies.last, error: nil)
                    } else {
                        verdicts[id] = StudyJudgment(promptID: id, repeatIndex: 0, status: .unscored, scores: nil, wiscore: nil, rawReply: verdict.evidence.replies.last, error: nil)
                    }
                case .failure(let failure):
                    if let fatal = failure.fatal { throw OutcomeError("drift check stopped: \(fatal.message)", kind: fatal.kind) }
                    usage = usage + failure.usage; failed += 1
                }
                if let anchor = next.next() { add(anchor) }
            }
        }
        return (verdicts, usage, failed)
    }

    /// The request for an anchor: its image as registered (a changed file is refused, not judged).
    static func request(_ anchor: Anchor) throws -> JudgeRequest {
        let data = try JudgeRunner.readRegistered(path: anchor.image.path ?? "", sha256: anchor.image.sha256, hash: SHA256.hex)
        return JudgeRequest(prompt: anchor.prompt, image: data, format: ImageFormat(rawValue: anchor.image.format ?? "png") ?? .png, repeatIndex: 0)
    }
}
