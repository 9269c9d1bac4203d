/// Krippendorff's α for any number of raters with missing ratings, at the nominal, ordinal or
/// interval level, as the `krippendorff` package (0.9) computes it.
///
/// Data are `ratings[rater][unit]`, nil where that rater did not rate that unit. Units with fewer
/// than two ratings are not pairable and drop out. From the coincidence matrix o (each unit u
/// with mᵤ ratings adds n_uc·n_uk / (mᵤ − 1) for c ≠ k, and n_uc·(n_uc − 1) / (mᵤ − 1) on the
/// diagonal) and its marginals n_c, α = 1 − Σ o_ck·δ_ck / Σ e_ck·δ_ck with
/// e_ck = (n_c·n_k − [c = k]·n_c) / (n − 1).
/// δ: nominal 0 or 1; interval (c − k)²; ordinal (Σ_{g from c to k} n_g − (n_c + n_k)/2)², over
/// the values in sorted order, so the ordinal distance depends on how often the values between
/// c and k were used and not on the values themselves (the package's ordinal metric; values that
/// appear in no pairable unit have n_g = 0 and change nothing).
/// α is nil where it is undefined: no pairable unit, or no expected disagreement (every
/// pairable rating the same value). The package raises an error or returns NaN there.
public enum KrippendorffAlpha {
    public enum Level: String, Sendable, Codable, CaseIterable {
        case nominal, ordinal, interval
    }

    public static func alpha(_ ratings: [[Double?]], level: Level) throws(StatsError) -> Double? {
        let data = try Coincidences(ratings)
        return data.alpha(weights: [Int](repeating: 1, count: data.units.count), level: level)
    }

    /// α with a bootstrap interval over the units (each resample draws units, with all their
    /// ratings; a unit drawn twice counts twice in the coincidence matrix).
    public static func interval(_ ratings: [[Double?]], level: Level, bootstrap: ItemBootstrap) throws(StatsError) -> ItemBootstrap.Interval? {
        let data = try Coincidences(ratings)
        return try bootstrap.interval(items: data.units.count) { counts in data.alpha(weights: counts, level: level) }
    }

    /// α of several tables of the same units (`tables[t][rater][unit]`) with their intervals, from
    /// the same draws of units (each equal to what `interval` gives for that table alone).
    public static func intervals(_ tables: [[[Double?]]], levels: [Level], bootstrap: ItemBootstrap) throws(StatsError) -> [ItemBootstrap.Interval?] {
        guard tables.count == levels.count else { throw StatsError("alpha: \(tables.count) tables against \(levels.count) levels") }
        var data: [Coincidences] = []
        for table in tables { data.append(try Coincidences(table)) }
        let units = data.first?.units.count ?? 0
        guard data.allSatisfy({ $0.units.count == units }) else { throw StatsError("alpha: the tables have different numbers of units") }
        return try bootstrap.intervals(items: units, count: data.count) { counts in
            zip(data, levels).map { d, level in d.alpha(weights: counts, level: level) }
        }
    }

    /// α with its interval, of integer ratings (0–2 aspect scores, 0/1 verdicts).
    public static func interval(_ ratings: [[Int?]], level: Level, bootstrap: ItemBootstrap) throws(StatsError) -> ItemBootstrap.Interval? {
        try interval(ratings.map { $0.map { $0.map(Double.init) } }, level: level, bootstrap: bootstrap)
    }

    /// Each unit's share of the coincidence matrix, worked out once so that a bootstrap only adds
    /// them up: `units[u]` lists (c, k, o) for the value indices c, k it pairs (empty for a unit
    /// with fewer than two ratings), over the values seen in pairable units.
    struct Coincidences {
        var values: [Double] = []
        var units: [[(c: Int, k: Int, o: Double)]] = []

        init(_ ratings: [[Double?]]) throws(StatsError) {
            guard let count = ratings.first?.count else { return }
            guard ratings.allSatisfy({ $0.count == count }) else { throw StatsError("alpha: raters rated different numbers of units") }
            for row in ratings { for case let value? in row where !value.isFinite { throw StatsError("alpha: rating \(value)") } }
            let perUnit = (0..<count).map { u in ratings.compactMap { $0[u] } }
            values = Array(Set(perUnit.filter { $0.count >= 2 }.flatMap { $0 })).sorted()
            var index: [Double: Int] = [:]
            for (i, v) in values.enumerated() { index[v] = i }
            units = perUnit.map { unit in
                guard unit.count >= 2 else { return [] }
                var counts: [Int: Double] = [:]
                for value in unit { if let i = index[value] { counts[i, default: 0] += 1 } }
                let scale = 1 / Double(unit.count - 1)
                var cells: [(c: Int, k: Int, o: Double)] = []
                for c in counts.keys.sorted() {
                    for k in counts.keys.sorted() {
                        let nc = counts[c] ?? 0, nk = counts[k] ?? 0
                        cells.append((c, k, (nc * nk - (c == k ? nc : 0)) * scale))
                    }
                }
                return cells
            }
        }

        /// α with unit u counted `weights[u]` times; nil without two distinct pairable values.
        func alpha(weights: [Int], level: Level) -> Double? {
            let v = values.count
            guard v >= 2 else { return nil }
            var coincidence = [Double](repeating: 0, count: v * v)
            for (cells, weight) in zip(units, weights) where weight > 0 {
                for cell in cells { coincidence[cell.c * v + cell.k] += Double(weight) * cell.o }
            }
            let marginals = (0..<v).map { c in (0..<v).reduce(0.0) { $0 + coincidence[c * v + $1] } }
            let n = marginals.reduce(0, +)
            var observed = 0.0, expected = 0.0
            for c in 0..<v {
                for k in 0..<v where k != c {
                    let delta = distance(c, k, values: values, marginals: marginals, level: level)
                    observed += coincidence[c * v + k] * delta
                    expected += marginals[c] * marginals[k] / (n - 1) * delta
                }
            }
            return expected > 0 ? 1 - observed / expected : nil
        }
    }

    /// The alpha of integer ratings (0–2 aspect scores, 0/1 verdicts).
    public static func alpha(_ ratings: [[Int?]], level: Level) throws(StatsError) -> Double? {
        try alpha(ratings.map { $0.map { $0.map(Double.init) } }, level: level)
    }

    static func distance(_ c: Int, _ k: Int, values: [Double], marginals: [Double], level: Level) -> Double {
        switch level {
        case .nominal:
            return c == k ? 0 : 1
        case .interval:
            let d = values[c] - values[k]
            return d * d
        case .ordinal:
            let lo = min(c, k), hi = max(c, k)
            let between = marginals[lo...hi].reduce(0, +) - (marginals[lo] + marginals[hi]) / 2
            return between * between
        }
    }
}
