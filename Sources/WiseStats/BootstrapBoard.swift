/// Per-item scores of one or more runs on the same items, grouped into weighted strata
/// (categories): what the stratified and paired bootstraps resample.
///
/// The statistic is WISE's overall: Σₛ wₛ · (mean of the run's scores in stratum s). Every run
/// has a score on every item of every stratum, so that one resample of item indices serves all
/// runs (a paired design). Items a run did not score must be dropped for all runs, or given a
/// value, before the board is built: the bootstrap has no notion of a missing score.
public struct BootstrapBoard: Sendable {
    /// One stratum (a WISE category): its weight in the overall and the runs' scores on its items.
    public struct Stratum: Sendable {
        public var name: String
        public var weight: Double
        /// `scores[run][item]`: the same items, in the same order, for every run.
        public var scores: [[Double]]

        public init(name: String, weight: Double, scores: [[Double]]) {
            self.name = name
            self.weight = weight
            self.scores = scores
        }
    }

    public let strata: [Stratum]
    public let runCount: Int
    /// Per stratum, the scores laid out item by item (`rows[s][item · runCount + run]`), so that
    /// adding a resampled item's scores for every run reads one contiguous row.
    let rows: [[Double]]

    /// Checks that every stratum has items, every run a score on each and every number is finite.
    public init(strata: [Stratum]) throws(StatsError) {
        guard let first = strata.first else { throw StatsError("board: no strata") }
        let runs = first.scores.count
        guard runs > 0 else { throw StatsError("board: no runs") }
        var rows: [[Double]] = []
        for stratum in strata {
            guard stratum.weight.isFinite else { throw StatsError("board: stratum \"\(stratum.name)\" has weight \(stratum.weight)") }
            guard stratum.scores.count == runs else {
                throw StatsError("board: stratum \"\(stratum.name)\" has \(stratum.scores.count) runs, the first has \(runs)")
            }
            let items = stratum.scores[0].count
            guard items > 0 else { throw StatsError("board: stratum \"\(stratum.name)\" has no items") }
            var row = [Double](repeating: 0, count: items * runs)
            for (run, scores) in stratum.scores.enumerated() {
                guard scores.count == items else {
                    throw StatsError("board: stratum \"\(stratum.name)\": run \(run) has \(scores.count) items, run 0 has \(items)")
                }
                for (item, value) in scores.enumerated() {
                    guard value.isFinite else {
                        throw StatsError("board: stratum \"\(stratum.name)\": run \(run), item \(item) is \(value)")
                    }
                    row[item * runs + run] = value
                }
            }
            rows.append(row)
        }
        self.strata = strata
        self.runCount = runs
        self.rows = rows
    }

    /// `stratumMeans[s][run]`: each run's mean in each stratum, summed in item order exactly as a
    /// resample is, so an estimate and its resamples are computed alike.
    public var stratumMeans: [[Double]] {
        strata.indices.map { s in
            var sums = [Double](repeating: 0, count: runCount)
            let row = rows[s]
            for item in 0..<(row.count / runCount) {
                for run in 0..<runCount { sums[run] += row[item * runCount + run] }
            }
            let count = Double(row.count / runCount)
            return sums.map { $0 / count }
        }
    }

    /// Each run's overall: Σₛ wₛ · mean, strata in order.
    public var overall: [Double] {
        var totals = [Double](repeating: 0, count: runCount)
        for (s, means) in stratumMeans.enumerated() {
            for run in 0..<runCount { totals[run] += strata[s].weight * means[run] }
        }
        return totals
    }

    /// The same strata with only the runs `runs`, in that order.
    public func selecting(runs: [Int]) throws(StatsError) -> BootstrapBoard {
        for run in runs where !(0..<runCount).contains(run) {
            throw StatsError("board: no run \(run) among \(runCount)")
        }
        return try BootstrapBoard(strata: strata.map { stratum in
            Stratum(name: stratum.name, weight: stratum.weight, scores: runs.map { stratum.scores[$0] })
        })
    }
}
