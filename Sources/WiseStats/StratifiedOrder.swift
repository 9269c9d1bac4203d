/// A seeded, category-stratified random order of items: what adaptive judging walks through, so
/// that every prefix of the order is a stratified random sample with proportional allocation.
///
/// Each stratum's items are shuffled (Fisher–Yates with `Xoshiro256StarStar.next(below:)`, strata
/// in the given order, one stream seeded with the seed); then the shuffled lists are interleaved:
/// the (k + 1)-th item comes from the stratum furthest behind its share, the largest
/// (k + 1) · Nₛ / N − takenₛ (the earlier stratum on a tie). So after k items each stratum has
/// given ⌊k · Nₛ / N⌋ or one more (checked for both WISE sets' strata by the tests), and the same
/// seed and strata give the same order everywhere.
public enum StratifiedOrder {
    /// The order of `strata[s]`'s items (any values, e.g. prompt ids), interleaved as described.
    public static func order<Item>(_ strata: [[Item]], seed: UInt64) -> [Item] {
        var generator = Xoshiro256StarStar(seed: seed)
        let shuffled = strata.map { items -> [Item] in
            var items = items
            var i = items.count - 1
            while i > 0 {
                items.swapAt(i, generator.next(below: i + 1))
                i -= 1
            }
            return items
        }
        let total = shuffled.reduce(0) { $0 + $1.count }
        var taken = [Int](repeating: 0, count: strata.count)
        var out: [Item] = []
        out.reserveCapacity(total)
        for k in 0..<total {
            // The deficit (k + 1) · Nₛ − takenₛ · N, in integers: N times how far s is behind its share.
            var best = -1, bestDeficit = Int.min
            for s in shuffled.indices where taken[s] < shuffled[s].count {
                let deficit = (k + 1) * shuffled[s].count - taken[s] * total
                if deficit > bestDeficit { best = s; bestDeficit = deficit }
            }
            out.append(shuffled[best][taken[best]])
            taken[best] += 1
        }
        return out
    }
}
