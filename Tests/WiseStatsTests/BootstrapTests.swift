import Foundation
import Testing
@testable import WiseStats

@Suite struct BootstrapTests {
    /// A board of `runs` runs over the six WISE categories (weights 0.4, 0.12 × 5), `items` items
    /// each, run r scoring items with probability 0.3 + 0.05·r.
    static func board(runs: Int, items: Int, seed: UInt64 = 1) -> BootstrapBoard {
        var generator = Xoshiro256StarStar(seed: seed)
        let weights = [0.4] + Array(repeating: 0.12, count: 5)
        return try! BootstrapBoard(strata: weights.enumerated().map { s, weight in
            BootstrapBoard.Stratum(name: "C\(s)", weight: weight, scores: (0..<runs).map { r in
                (0..<items).map { _ in generator.nextUnit() < 0.3 + 0.05 * Double(r) ? 1 : 0 }
            })
        })
    }

    @Test func matchesAnIndependentReimplementation() throws {
        // Given the script's own bootstrap (same generator and draw order, numpy percentiles) on a
        // 3-run board with strata of 7, 5 and 4 items
        let ref = Reference.shared.bootstrap
        let board = try BootstrapBoard(strata: ref.strata.map {
            BootstrapBoard.Stratum(name: $0.name, weight: $0.weight, scores: $0.scores)
        })
        let bootstrap = StratifiedBootstrap(resamples: ref.resamples, seed: ref.seed)
        // When the leaderboard and the paired difference of runs 0 and 1 are computed here
        let result = try bootstrap.leaderboard(board)
        let paired = try bootstrap.pairedDifference(board, baseline: 0, candidate: 1)
        // Then every estimate, bound, rank interval, order probability and p-value agrees
        var agreement = Agreement("bootstrap")
        for (run, row) in result.runs.enumerated() {
            let o = ref.overall[run]
            agreement.expect(row.overall.estimate, o[0], "run \(run) overall")
            agreement.expect(row.overall.lower, o[1], "run \(run) lower")
            agreement.expect(row.overall.upper, o[2], "run \(run) upper")
            for (s, interval) in row.strata.enumerated() {
                let e = ref.stratum[run][s]
                agreement.expect(interval.estimate, e[0], "run \(run) stratum \(s)")
                agreement.expect(interval.lower, e[1], "run \(run) stratum \(s) lower")
                agreement.expect(interval.upper, e[2], "run \(run) stratum \(s) upper")
            }
            #expect([row.rankInterval.lowerBound, row.rankInterval.upperBound] == ref.rank_interval[run])
            for other in 0..<3 {
                agreement.expect(result.orderProbability[run][other], ref.order_probability[run][other], "P(\(run) > \(other))")
            }
        }
        let expected = [ref.paired_overall] + ref.paired_stratum
        for (e, actual) in zip(expected, [paired.overall] + paired.perStratum) {
            agreement.expect(actual.difference.estimate, e[0], "paired estimate")
            agreement.expect(actual.difference.lower, e[1], "paired lower")
            agreement.expect(actual.difference.upper, e[2], "paired upper")
            agreement.expect(actual.pValue, e[3], "paired p")
        }
        agreement.report()
    }

    @Test func sameSeedSameNumbersOtherSeedOthers() throws {
        // Given one board
        let board = Self.board(runs: 4, items: 60)
        // When bootstrapped twice with seed 7 and once with seed 8
        let first = try StratifiedBootstrap(resamples: 500, seed: 7).leaderboard(board)
        let again = try StratifiedBootstrap(resamples: 500, seed: 7).leaderboard(board)
        let other = try StratifiedBootstrap(resamples: 500, seed: 8).leaderboard(board)
        // Then the same seed gives identical results to the bit, another seed other intervals
        #expect(first == again)
        #expect(first.runs.map(\.overall) != other.runs.map(\.overall))
        #expect(first.runs.map(\.overall.estimate) == other.runs.map(\.overall.estimate))
    }

    @Test func intervalsCoverTheEstimatesAndRanksAreConsistent() throws {
        // Given a 5-run board
        let board = Self.board(runs: 5, items: 80)
        // When bootstrapped
        let result = try StratifiedBootstrap(resamples: 2000, seed: 3).leaderboard(board)
        // Then each interval holds its estimate, each rank its interval, and P(i>j) + P(j>i) = 1
        for run in result.runs {
            #expect(run.overall.lower <= run.overall.estimate && run.overall.estimate <= run.overall.upper)
            for s in run.strata { #expect(s.lower <= s.estimate && s.estimate <= s.upper) }
            #expect(run.rankInterval.contains(run.rank))
        }
        for i in 0..<5 {
            for j in 0..<5 { #expect(abs(result.orderProbability[i][j] + result.orderProbability[j][i] - 1) < 1e-12) }
        }
        // And the adjacent pairs follow the order of the estimates
        let order = result.order
        #expect(order.map { result.runs[$0].overall.estimate } == result.runs.map(\.overall.estimate).sorted(by: >))
        #expect(result.adjacentOrder.map(\.upper) == Array(order.dropLast()))
    }

    @Test func identicalRunsTieHalfAndShareRanks() throws {
        // Given two runs with identical scores
        let scores = [1.0, 0, 1, 1, 0, 1]
        let board = try BootstrapBoard(strata: [.init(name: "all", weight: 1, scores: [scores, scores])])
        // When bootstrapped
        let result = try StratifiedBootstrap(resamples: 300, seed: 1).leaderboard(board)
        let paired = try StratifiedBootstrap(resamples: 300, seed: 1).pairedDifference(board, baseline: 0, candidate: 1)
        // Then every resample ties (probability ½), both rank 1, and the difference is 0 with p = 1
        #expect(result.orderProbability[0][1] == 0.5)
        #expect(result.runs.map(\.rankInterval) == [1...1, 1...1])
        #expect(paired.overall.difference == ConfidenceInterval(estimate: 0, lower: 0, upper: 0))
        #expect(paired.overall.pValue == 1)
    }

    @Test func intervalNarrowsLikeOneOverRootN() throws {
        // Given one run of Bernoulli(0.3) scores on n and on 4n items in one stratum
        func width(_ items: Int) throws -> (width: Double, analytic: Double) {
            var generator = Xoshiro256StarStar(seed: UInt64(items))
            let scores = (0..<items).map { _ in generator.nextUnit() < 0.3 ? 1.0 : 0 }
            let board = try BootstrapBoard(strata: [.init(name: "all", weight: 1, scores: [scores])])
            let interval = try StratifiedBootstrap(resamples: 1000, seed: 5).leaderboard(board).runs[0].overall
            // The analytic 95% width of a mean: 2 · 1.96 · s/√n with the plug-in s.
            let mean = scores.reduce(0, +) / Double(items)
            let sd = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(items)).squareRoot()
            return (interval.upper - interval.lower, 2 * 1.959964 * sd / Double(items).squareRoot())
        }
        // When bootstrapped
        let small = try width(2500), large = try width(10_000)
        // Then each width is within 10% of the analytic one, and 4× the items halves it
        #expect(abs(small.width / small.analytic - 1) < 0.1)
        #expect(abs(large.width / large.analytic - 1) < 0.1)
        #expect(abs(small.width / large.width - 2) < 0.2)
    }

    @Test func pairedResamplesAreTheLeaderboardsResamples() throws {
        // Given a 4-run board and one seed
        let board = Self.board(runs: 4, items: 50)
        let bootstrap = StratifiedBootstrap(resamples: 400, seed: 9)
        // When runs 3 and 1 are compared, and the same pair is taken out as its own board
        let paired = try bootstrap.pairedDifference(board, baseline: 3, candidate: 1)
        let alone = try bootstrap.pairedDifference(board.selecting(runs: [3, 1]), baseline: 0, candidate: 1)
        // Then both draw the same items: the same intervals and p-values
        #expect(paired == alone)
        #expect(abs(paired.overall.difference.estimate - (board.overall[1] - board.overall[3])) < 1e-15)
    }

    @Test func malformedBoardsAreErrors() {
        // Given boards with a missing run, no items, a NaN, and settings out of range
        #expect(throws: StatsError.self) { try BootstrapBoard(strata: []) }
        #expect(throws: StatsError.self) {
            try BootstrapBoard(strata: [.init(name: "a", weight: 1, scores: [[1]]), .init(name: "b", weight: 1, scores: [[1], [0]])])
        }
        #expect(throws: StatsError.self) { try BootstrapBoard(strata: [.init(name: "a", weight: 1, scores: [[]])]) }
        #expect(throws: StatsError.self) { try BootstrapBoard(strata: [.init(name: "a", weight: 1, scores: [[1, .nan]])]) }
        #expect(throws: StatsError.self) { try BootstrapBoard(strata: [.init(name: "a", weight: 1, scores: [[1], [1, 0]])]) }
        let board = Self.board(runs: 2, items: 3)
        #expect(throws: StatsError.self) { try StratifiedBootstrap(resamples: 0, seed: 1).leaderboard(board) }
        #expect(throws: StatsError.self) { try StratifiedBootstrap(seed: 1, confidence: 1).leaderboard(board) }
        #expect(throws: StatsError.self) { try StratifiedBootstrap(seed: 1).pairedDifference(board, baseline: 0, candidate: 2) }
    }
}
