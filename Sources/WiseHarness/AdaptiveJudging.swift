import Foundation
import Synchronization
import WiseCore
import WiseJudges
import WiseReport
import WiseRunner
import WiseStats
import WiseStore

/// Adaptive judging (`wise judge a b c --until …`): judges the runs of a board item by item in a
/// seeded, category-stratified random order and stops as soon as a target is met or the budget is
/// spent, leaving an estimate from n of the set's items that a plain `wise judge` completes later.
///
/// Every run is judged on the same items (a paired sample, as the rank intervals need). Items are
/// taken `checkEvery` at a time; after each batch the items of the order judged so far and scored
/// in every run form the board that `AdaptiveStopping` looks at. Judgments are committed as they
/// arrive, as in any pass, so nothing is judged twice when the run is completed or resumed.
public enum AdaptiveJudging {
    /// Why a pass ended.
    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        case target(AdaptiveStopping.Target)
        case budget
        case everyItem

        public var description: String {
            switch self {
            case .target(let target): return "target \(target) met"
            case .budget: return "budget spent"
            case .everyItem: return "every item judged"
            }
        }
    }

    /// What an adaptive pass did.
    public struct Outcome: Sendable {
        /// Items of the order taken per run, and the set's size.
        public var items: Int
        public var population: Int
        /// Requests sent, all runs together (answers copied from the store are not counted).
        public var sent: Int
        public var usage: TokenUsage
        public var ending: Ending
        /// The last look at the board; nil when no look could be made (a category not yet reached).
        public var check: AdaptiveStopping.Check?
        /// The prompt ids taken, in order.
        public var order: [Int]
        /// The key of the judge whose verdicts the estimate reads.
        public var judgeKey: String
        /// The coverage of the check's intervals.
        public var confidence: Double
    }

    /// `wise judge NAME… --until …`: adaptive judging of the runs named (refused when `scoringProtocol` is not theirs), then their board.
    public static func judge(runs names: [String], scoringProtocol: ScoringProtocol?, selection: SelectionOptions,
                             options: JudgeOptions, adaptive: AdaptiveOptions, store storeOptions: StoreOptions) async throws {
        guard try selection.selection().isAll else {
            throw UsageError("adaptive judging samples the whole set at random; drop --ids, --limit and --shard (judge a selection with a plain `wise judge`)")
        }
        if let twice = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw UsageError("run '\(twice)' is named twice; name each run of the board once")
        }
        let store = try storeOptions.openExisting()
        let runs = try names.map { try store.requireRun($0) }
        if let scoringProtocol, let other = runs.first(where: { $0.scoringProtocol != scoringProtocol }) {
            throw UsageError("run '\(other.name)' uses protocol \(other.scoringProtocol.rawValue), not \(scoringProtocol.rawValue); drop --protocol or name runs of that protocol")
        }
        let outcome = try await judge(runs, store: store, options: options, adaptive: adaptive)
        guard let outcome else { return }
        try printOutcome(outcome, runs: runs, store: store, options: options)
    }

    /// Judges `runs` adaptively (nil after a dry run, which only prints); `made` stands in for the judge the options name.
    public static func judge(_ runs: [StoredRun], store: ResultsStore, options: JudgeOptions, adaptive: AdaptiveOptions,
                             made: MadeJudge? = nil) async throws -> Outcome? {
        guard let first = runs.first else { throw UsageError("name at least one run to judge") }
        for run in runs.dropFirst() where run.set != first.set || run.scoringProtocol != first.scoringProtocol {
            throw UsageError("run '\(run.name)' (\(run.set.rawValue), protocol \(run.scoringProtocol.rawValue)) cannot share a board with '\(first.name)' (\(first.set.rawValue), protocol \(first.scoringProtocol.rawValue)); judge them separately")
        }
        let targets = try adaptive.targets()
        if targets.contains(.separated) && runs.count < 2 {
            throw UsageError("--until separated needs two runs or more (their rank intervals separate); name the other runs of the board, or use --until width=W")
        }
        guard options.repeats == 1 else { throw UsageError("adaptive judging takes one judgment per image; drop --repeats") }
        if adaptive.maxCost != nil && options.prices == nil {
            throw UsageError("--max-cost needs the prices: give --price-in and --price-out (per million tokens)")
        }
        let made = try made ?? options.makeJudge(scoringProtocol: first.scoringProtocol)
        if options.dryRun {
            for run in runs { try await judgeRun(run, store: store, options: options, made: made) }
            Console.out("adaptive: at most the requests above; the pass stops earlier once \(stopText(targets, adaptive))\n")
            return nil
        }
        for run in runs { try requireUsableImages(run, store: store, promptIDs: nil) }
        for line in made.advice { Console.note(line) }
        let judge = try options.drift.watch(made.judge, run: first, store: store)
        let prompts = try store.prompts(of: first.set)
        let category = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        var usable = Set(prompts.map(\.id))
        for run in runs {
            usable.formIntersection(try store.imageRows(run: run).filter { $0.status == .ok }.map(\.promptID))
        }
        if usable.count < prompts.count {
            Console.note("\(prompts.count - usable.count) of \(prompts.count) prompts lack a usable image in some run; the sample leaves them out")
        }
        let order = StratifiedOrder.order(Category.allCases.map { c in prompts.filter { $0.category == c && usable.contains($0.id) }.map(\.id) },
                                          seed: adaptive.orderSeed)
        let population = Category.allCases.map { c in prompts.filter { $0.category == c }.count }
        let rule = AdaptiveStopping(targets: targets,
                                    bootstrap: StratifiedBootstrap(resamples: adaptive.adaptiveResamples, seed: adaptive.orderSeed,
                                                                   confidence: adaptive.adaptiveConfidence),
                                    minimumItems: adaptive.minItems)
        let lock = try JudgeLock(storePath: store.path)
        defer { withExtendedLifetime(lock) {} }
        try await judge.start()
        // A drift check looks at each run's own anchors, or once at the anchor run all of them share.
        let concurrency = min(options.concurrency, made.maxConcurrency ?? .max)
        for run in options.drift.driftAnchors == nil ? runs : [first] {
            try await options.drift.checkBeforePass(run, judge: judge, store: store, concurrency: concurrency)
        }
        Console.note("judge: \(judge.spec.judgeDescription); adaptive over \(runs.count == 1 ? "1 run" : "\(runs.count) runs"), order seed \(adaptive.orderSeed), stopping when \(stopText(targets, adaptive))")
        let current = Mutex<[JudgeRunner]>([])
        let stopped = Mutex(false)
        let signals = StopOnSignals {
            stopped.withLock { $0 = true }
            for runner in current.withLock({ $0 }) { runner.requestStop() }
        }
        defer { signals.disarm() }
        let costPerRequest = try await firstCostEstimate(judge, runs: runs, store: store, prices: options.prices)
        var taken = 0, sent = 0, usage = TokenUsage.zero, failed = 0
        var check: AdaptiveStopping.Check?
        var ending = Ending.everyItem
        while taken < order.count {
            var batch = min(adaptive.checkEvery, order.count - taken)
            if let maxJudgments = adaptive.maxJudgments { batch = min(batch, (maxJudgments - sent) / runs.count) }
            if let maxCost = adaptive.maxCost, let prices = options.prices {
                let spent = prices.cost(usage)
                let each = sent > 0 ? spent / Double(sent) : costPerRequest
                if each > 0 { batch = min(batch, Int(((maxCost - spent) / (each * Double(runs.count))).rounded(.down))) }
            }
            guard batch > 0 else { ending = .budget; break }
            let ids = Set(order[taken..<(taken + batch)])
            // The runs' batches go at once, sharing --concurrency, so a batch keeps the server as busy as a plain pass.
            let share = max(1, min(options.concurrency, made.maxConcurrency ?? .max) / runs.count)
            let runners = runs.map { run in
                JudgeRunner(store: store, run: run, judge: judge, rubricSHA256: made.rubricSHA256,
                            options: .init(repeats: 1, concurrency: share, promptIDs: ids))
            }
            current.withLock { $0 = runners }
            do {
                try await withThrowingTaskGroup(of: JudgeRunner.Summary.self) { group in
                    for runner in runners { group.addTask { try await runner.judgeAll() } }
                    for try await summary in group {
                        sent += summary.scored + summary.unscored + summary.failed
                        failed += summary.failed
                        usage = usage + summary.usage
                    }
                }
            } catch let fatal as OutcomeError {
                throw OutcomeError("judging stopped: \(fatal.message)", kind: fatal.kind)
            }
            if stopped.withLock({ $0 }) {
                throw OutcomeError("interrupted after \(taken) items per run (\(sent) requests sent); run the same command again to resume", kind: .interrupted)
            }
            taken += batch
            guard let board = try board(runs, order: order[..<taken], category: category, store: store, judge: judge.spec,
                                        weights: first.scoringProtocol.weights) else { continue }
            check = try rule.check(board, population: population)
            if let check {
                let widest = check.runs.map(\.width).max() ?? 0
                let pairs = check.separated.isEmpty ? "" : "; adjacent pairs separated \(check.separated.filter { $0 }.count) of \(check.separated.count)"
                Console.note("adaptive: \(taken) of \(population.reduce(0, +)) items per run, \(sent) requests; widest interval \(String(format: "%.4f", widest))\(pairs)")
                if let met = check.met { ending = .target(met); break }
            }
        }
        if failed > 0 { Console.note("\(failed) requests failed; those items are left out of the estimate (see `wise failures RUN`; the next pass retries them)") }
        return Outcome(items: taken, population: population.reduce(0, +), sent: sent, usage: usage, ending: ending, check: check,
                       order: Array(order[..<taken]), judgeKey: judge.spec.key,
                       confidence: adaptive.adaptiveConfidence)
    }

    /// The board of the items of `order` scored in every run, by category with the protocol's weights; nil until every category has one.
    static func board(_ runs: [StoredRun], order: ArraySlice<Int>, category: [Int: Category], store: ResultsStore,
                      judge: AdapterSpec, weights: [Category: Double]) throws -> BootstrapBoard? {
        let outcomes = try runs.map { try store.outcomes(of: $0, judge: judge) }
        var strata: [Category: [[Double]]] = [:]
        for id in order {
            let scores = outcomes.compactMap { outcome -> Double? in
                if case .scored(let value) = outcome[id] { return value }
                return nil
            }
            guard scores.count == runs.count, let c = category[id] else { continue }
            var columns = strata[c] ?? Array(repeating: [], count: runs.count)
            for (run, value) in scores.enumerated() { columns[run].append(value) }
            strata[c] = columns
        }
        guard Category.allCases.allSatisfy({ strata[$0] != nil }) else { return nil }
        return try BootstrapBoard(strata: Category.allCases.map {
            BootstrapBoard.Stratum(name: $0.title, weight: weights[$0]!, scores: strata[$0]!)
        })
    }

    /// The judge's estimate of one request's cost, before any is measured; 0 when it cannot say.
    static func firstCostEstimate(_ judge: Judge, runs: [StoredRun], store: ResultsStore, prices: TokenPrices?) async throws -> Double {
        guard let prices else { return 0 }
        let path = try store.imageRows(run: runs[0]).first { $0.status == .ok }?.path
        let bytes = path.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int } ?? 0
        let workload = JudgeWorkload(requests: 1, samplePrompt: try store.prompts(of: runs[0].set).first, meanImageBytes: bytes)
        guard let tokens = await judge.estimate(workload)?.tokens else { return 0 }
        return prices.cost(tokens)
    }

    /// The stopping condition in words: "separated, or 1500 requests are sent".
    static func stopText(_ targets: [AdaptiveStopping.Target], _ adaptive: AdaptiveOptions) -> String {
        var parts = targets.map { target -> String in
            switch target {
            case .separated: return "the adjacent rank intervals separate"
            case .width(let w): return "every overall interval is at most \(w) wide"
            }
        }
        if let n = adaptive.maxJudgments { parts.append("\(n) requests are sent") }
        if let cost = adaptive.maxCost { parts.append(String(format: "%.2f is spent", cost)) }
        parts.append("every item is judged")
        return parts.joined(separator: ", or ")
    }

    /// Prints how the pass ended, the estimates with their intervals, and the board.
    public static func printOutcome(_ outcome: Outcome, runs: [StoredRun], store: ResultsStore, options: JudgeOptions) throws {
        let everything = outcome.population * runs.count
        var line = "adaptive: stopped, \(outcome.ending), after \(outcome.items) of \(outcome.population) items per run; \(outcome.sent) requests sent"
        if outcome.items < outcome.population {
            line += "; \(everything - outcome.items * runs.count) of \(everything) judgments left undone"
        }
        if let prices = options.prices { line += String(format: ", cost %.4f", prices.cost(outcome.usage)) }
        Console.note(line)
        if let check = outcome.check {
            var table = "estimate from \(check.items) of \(check.population) items (official category weights; \(String(format: "%g", outcome.confidence * 100))% intervals from a stratified bootstrap); not a full WISE score\n"
            for index in check.order {
                let run = check.runs[index]
                table += "  \(runs[index].name): \(String(format: "%.4f [%.4f, %.4f]", run.overall.estimate, run.overall.lower, run.overall.upper)), rank \(run.rank) (\(run.rankInterval.lowerBound)–\(run.rankInterval.upperBound))\n"
            }
            Console.out(table)
        }
        let board = try Leaderboard(runs.map { try store.summary(of: $0, judgeKey: outcome.judgeKey) })
        Console.out(board.render(.terminal, prices: options.prices))
        if outcome.items < outcome.population {
            Console.note("complete the runs later with a plain `wise judge NAME` for each: only the items not yet judged are sent")
        }
    }
}
