/// The stopping rule of adaptive judging: given the items judged so far (a stratified random
/// sample of the set, every run scored on the same items), it estimates each run's overall on the
/// whole set with intervals and rank intervals, and says whether a target is met.
///
/// The estimate is the stratified one: Σₛ wₛ · (mean of the judged items of stratum s), with the
/// official category weights. Its uncertainty comes from `StratifiedBootstrap`'s resamples (items
/// resampled within each stratum, the same indices for every run), each stratum's resampled mean
/// pulled towards its estimate by the finite-population factor √(1 − nₛ/Nₛ): what is uncertain
/// is the score on the set's Nₛ items, not on an endless supply of prompts, so once every item is
/// judged the interval is the score itself. Rank and rank intervals follow `leaderboard`'s rules.
///
/// Targets: `.separated`, every pair of runs adjacent in the order of the estimates has disjoint
/// rank intervals (the better one's worst rank above the other's best; two runs or more);
/// `.width(w)`, every run's interval is at most w wide. Nothing is met before `minimumItems`
/// items are judged, so that a handful of lucky items cannot stop a pass.
public struct AdaptiveStopping: Sendable {
    /// What adaptive judging aims for.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        case separated
        case width(Double)

        public var description: String {
            switch self {
            case .separated: return "separated"
            case .width(let w): return "width=\(w)"
            }
        }
    }

    /// One run's estimate on the whole set.
    public struct Run: Sendable, Equatable {
        public var overall: ConfidenceInterval
        /// 1 + the runs with a higher estimate.
        public var rank: Int
        public var rankInterval: ClosedRange<Int>
        public var width: Double { overall.upper - overall.lower }
    }

    /// What one look at the judged items found.
    public struct Check: Sendable, Equatable {
        /// Items judged (per run) and the set's size.
        public var items: Int
        public var population: Int
        public var runs: [Run]
        /// Run indices, best estimate first (the earlier run on a tie).
        public var order: [Int]
        /// `separated[k]`: whether `order[k]` and `order[k + 1]` have disjoint rank intervals.
        public var separated: [Bool]
        /// The first target met, in the order the targets were given; nil when none is.
        public var met: Target?
    }

    public var targets: [Target]
    public var bootstrap: StratifiedBootstrap
    /// Items to judge before any target can be met.
    public var minimumItems: Int

    public init(targets: [Target], bootstrap: StratifiedBootstrap, minimumItems: Int = 100) {
        self.targets = targets
        self.bootstrap = bootstrap
        self.minimumItems = minimumItems
    }

    /// Looks at a board of the judged items; `population[s]` is how many items stratum s has in the whole set.
    public func check(_ board: BootstrapBoard, population: [Int]) throws(StatsError) -> Check {
        try bootstrap.validate()
        guard population.count == board.strata.count else {
            throw StatsError("adaptive: \(population.count) stratum sizes for \(board.strata.count) strata")
        }
        let runs = board.runCount, count = bootstrap.resamples
        let sampled = board.rows.map { $0.count / runs }
        var factors: [Double] = []
        for (s, size) in population.enumerated() {
            guard size >= sampled[s] else {
                throw StatsError("adaptive: stratum \"\(board.strata[s].name)\" has \(sampled[s]) items judged but only \(size) in the set")
            }
            factors.append((1 - Double(sampled[s]) / Double(size)).squareRoot())
        }
        let points = board.stratumMeans, weights = board.strata.map(\.weight), estimates = board.overall
        var samples = [Double](repeating: 0, count: runs * count)
        var rankCounts = [Int](repeating: 0, count: runs * (runs + 1))
        var overall = [Double](repeating: 0, count: runs)
        bootstrap.forEachResample(of: board) { b, means, _ in
            for run in 0..<runs {
                var total = 0.0
                for s in factors.indices {
                    let point = points[s][run]
                    total += weights[s] * (point + factors[s] * (means[s * runs + run] - point))
                }
                overall[run] = total
                samples[run * count + b] = total
            }
            for run in 0..<runs {
                var higher = 0
                for other in 0..<runs where other != run && overall[other] > overall[run] { higher += 1 }
                rankCounts[run * (runs + 1) + 1 + higher] += 1
            }
        }
        let intervals = bootstrap.intervals(&samples, estimates: estimates)
        let results = rankCounts.withUnsafeBufferPointer { counts in
            (0..<runs).map { run in
                let histogram = UnsafeBufferPointer(rebasing: counts[(run * (runs + 1))..<((run + 1) * (runs + 1))])
                let low = Quantile.lowerHigher(counts: histogram, total: count, bootstrap.lowerQuantile).lower
                let high = Quantile.lowerHigher(counts: histogram, total: count, bootstrap.upperQuantile).higher
                return Run(overall: intervals[run], rank: 1 + estimates.filter { $0 > estimates[run] }.count,
                           rankInterval: low...high)
            }
        }
        let order = (0..<runs).sorted { estimates[$0] != estimates[$1] ? estimates[$0] > estimates[$1] : $0 < $1 }
        let separated = zip(order, order.dropFirst()).map { a, b in
            estimates[a] > estimates[b] && results[a].rankInterval.upperBound < results[b].rankInterval.lowerBound
        }
        let items = sampled.reduce(0, +)
        var check = Check(items: items, population: population.reduce(0, +), runs: results, order: order,
                          separated: separated, met: nil)
        guard items >= min(minimumItems, check.population) else { return check }
        check.met = targets.first { target in
            switch target {
            case .separated: return runs >= 2 && !separated.contains(false)
            case .width(let w): return results.allSatisfy { $0.width <= w }
            }
        }
        return check
    }
}
