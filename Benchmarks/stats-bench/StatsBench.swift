import Foundation
import WiseStats

/// stats-bench: times the stratified bootstrap of a leaderboard the size WISE gives it, so that
/// its cost stays known as the code changes. Not a test; run it in release:
///
///     swift build -c release --product stats-bench && .build/release/stats-bench
///
/// It builds a 20-run board over 1000 items in 6 categories (400 + 5 × 120, weights 0.4 and
/// 0.12 × 5, scores in 0…1 like WiScores), then times `leaderboard` (10,000 resamples: per-run
/// and per-category intervals, rank intervals, order probabilities) and one `pairedDifference`.
/// Options: `--runs N`, `--resamples N`, `--repeat N` (best of N, default 3).
@main
enum StatsBench {
    static func main() throws {
        var runs = 20, resamples = 10_000, repeats = 3
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next().flatMap(Int.init), value > 0 else {
                FileHandle.standardError.write(Data("usage: stats-bench [--runs N] [--resamples N] [--repeat N]\n".utf8))
                exit(64)
            }
            switch flag {
            case "--runs": runs = value
            case "--resamples": resamples = value
            case "--repeat": repeats = value
            default:
                FileHandle.standardError.write(Data("stats-bench: unknown option \(flag)\n".utf8))
                exit(64)
            }
        }
        let sizes = [400] + Array(repeating: 120, count: 5)
        let weights = [0.4] + Array(repeating: 0.12, count: 5)
        var generator = Xoshiro256StarStar(seed: 2026)
        let board = try BootstrapBoard(strata: zip(sizes, weights).enumerated().map { s, stratum in
            BootstrapBoard.Stratum(name: "C\(s)", weight: stratum.1, scores: (0..<runs).map { run in
                (0..<stratum.0).map { _ in
                    // Legacy-like item scores: multiples of 0.05, better runs a little higher.
                    (Double(generator.next(below: 21)) * (0.8 + 0.01 * Double(run))).rounded() / 20
                }
            })
        })
        let bootstrap = StratifiedBootstrap(resamples: resamples, seed: 1)
        var best = Double.infinity, pairedBest = Double.infinity
        var result: BoardUncertainty?
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            result = try bootstrap.leaderboard(board)
            let middle = DispatchTime.now().uptimeNanoseconds
            _ = try bootstrap.pairedDifference(board, baseline: 0, candidate: runs - 1)
            let end = DispatchTime.now().uptimeNanoseconds
            best = min(best, Double(middle - start) / 1e9)
            pairedBest = min(pairedBest, Double(end - middle) / 1e9)
        }
        let draws = Double(resamples) * Double(sizes.reduce(0, +))
        print("board: \(runs) runs × \(sizes.reduce(0, +)) items in \(sizes.count) strata, \(resamples) resamples, best of \(repeats)")
        print(String(format: "leaderboard: %.3f s (%.1f ns per item draw, %.2f ns per draw and run)",
                     best, best / draws * 1e9, best / draws / Double(runs) * 1e9))
        print(String(format: "paired difference (2 runs): %.3f s", pairedBest))
        if let result {
            let top = result.order.prefix(3).map { run in
                let r = result.runs[run]
                return String(format: "run %d %.4f [%.4f, %.4f] rank %d (%d–%d)", run, r.overall.estimate,
                              r.overall.lower, r.overall.upper, r.rank, r.rankInterval.lowerBound, r.rankInterval.upperBound)
            }
            print("top: " + top.joined(separator: "; "))
            print(String(format: "P(first above second) = %.4f", result.adjacentOrder.first?.probability ?? .nan))
        }
    }
}
