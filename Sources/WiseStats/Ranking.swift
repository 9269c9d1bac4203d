/// Average ("mid") ranks with tie groups, as `scipy.stats.rankdata(method="average")`, for the
/// rank-based tests.
enum Ranking {
    /// Ranks 1…n of `values` (equal values share the mean of their ranks) and the size of every
    /// tie group (groups of one included).
    static func midranks(_ values: [Double]) -> (ranks: [Double], groupSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var groups: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            // Positions start..<end hold ranks start+1 … end; their mean:
            let mean = Double(start + 1 + end) / 2
            for i in start..<end { ranks[order[i]] = mean }
            groups.append(end - start)
            start = end
        }
        return (ranks, groups)
    }
}
