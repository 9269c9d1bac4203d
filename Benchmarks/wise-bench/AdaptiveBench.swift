import Foundation
import WiseStats

/// `wise-bench adaptive`: adaptive judging on simulated boards, against judging every item.
///
/// Each board has 3 to 8 runs of the legacy or the verified protocol (alternating) with known
/// true item scores over the set's 1000 items (legacy: 400, 167, 133, 100, 100, 100; verified:
/// 400 and 5 × 120). A run's item score comes from a latent ability of the run, a per-category
/// offset of the run, and a difficulty of the item shared by all runs (hard prompts are hard for
/// every model, so runs are correlated as on a real board): verified scores are 0 or 1, legacy
/// ones (0.7c + 0.2r + 0.1a)/2 from three levels 0–2. Judging everything gives the true order;
/// adaptive judging walks the seeded stratified order, looks every `--step` items with
/// `AdaptiveStopping` and stops when the target is met (or every item is judged).
enum AdaptiveBench {
    static let options: Set<String> = ["--boards", "--target", "--step", "--resamples", "--confidence", "--minimum", "--seed"]

    struct Outcome {
        var runs = 0
        var judged = 0
        var stoppedEarly = false
        var pairs = 0
        var wrongPairs = 0
        var claimed = 0
        var falseClaims = 0
        var covered = 0
    }

    static func run(_ arguments: Arguments) throws {
        let boards = try arguments.int("--boards", default: 200)
        let step = try arguments.int("--step", default: 50)
        let resamples = try arguments.int("--resamples", default: 1000)
        let minimum = try arguments.int("--minimum", default: 100)
        let confidence = try arguments.double("--confidence", default: 0.95)
        let seed = UInt64(try arguments.int("--seed", default: 1, allowZero: true))
        let target = try parseTarget(arguments.string("--target", default: "separated"))
        guard confidence > 0, confidence < 1 else { throw BenchError("--confidence must lie in (0, 1)") }
        let start = Date()
        var outcomes: [Outcome] = []
        for board in 0..<boards {
            let legacy = board % 2 == 0
            var random = Xoshiro256StarStar(seed: seed &* 1_000_003 &+ UInt64(board))
            let truth = simulate(legacy: legacy, runs: 3 + random.next(below: 6), random: &random)
            let rule = AdaptiveStopping(targets: [target],
                                        bootstrap: StratifiedBootstrap(resamples: resamples, seed: UInt64(board), confidence: confidence),
                                        minimumItems: minimum)
            outcomes.append(try adapt(truth, rule: rule, step: step, seed: UInt64(board)))
        }
        let runs = outcomes.reduce(0) { $0 + $1.runs }
        let judged = outcomes.reduce(0) { $0 + $1.judged }
        let everything = runs * 1000
        let early = outcomes.filter(\.stoppedEarly).count
        let pairs = outcomes.reduce(0) { $0 + $1.pairs }, wrong = outcomes.reduce(0) { $0 + $1.wrongPairs }
        let claimed = outcomes.reduce(0) { $0 + $1.claimed }, falseClaims = outcomes.reduce(0) { $0 + $1.falseClaims }
        let covered = outcomes.reduce(0) { $0 + $1.covered }
        print("adaptive judging on \(boards) simulated boards (\(runs) runs; legacy and verified alternating; target \(target))")
        print("  step \(step) items, \(resamples) resamples, confidence \(confidence), at least \(minimum) items; seed \(seed)")
        print("  judgments: \(judged) of \(everything) for judging everything; saved \(everything - judged) (\(percent(everything - judged, everything)))")
        print("  boards stopped before every item was judged: \(early) of \(boards) (\(percent(early, boards)))")
        let meanItems = Double(judged) / Double(runs)
        print(String(format: "  items judged per run: mean %.0f of 1000", meanItems))
        print("  pairs ordered differently from the truth: \(wrong) of \(pairs) (\(percent(wrong, pairs))); boards with one or more: \(outcomes.filter { $0.wrongPairs > 0 }.count) of \(boards)")
        print("  claimed separations of adjacent runs: \(claimed), of which false: \(falseClaims) (\(percent(falseClaims, claimed))); boards with one or more: \(outcomes.filter { $0.falseClaims > 0 }.count) of \(boards)")
        print("  runs whose true overall lay inside the final interval: \(covered) of \(runs) (\(percent(covered, runs)))")
        print(String(format: "  %.1f s", Date().timeIntervalSince(start)))
    }

    static func parseTarget(_ text: String) throws -> AdaptiveStopping.Target {
        if text == "separated" { return .separated }
        if text.hasPrefix("width="), let w = Double(text.dropFirst(6)), w > 0, w.isFinite { return .width(w) }
        throw BenchError("--target must be separated or width=W (W > 0), not \(text)")
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "—" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
    }

    /// A board's truth: per stratum its weight, and `scores[run][item]`.
    struct Truth {
        var strata: [BootstrapBoard.Stratum]
        var runs: Int { strata[0].scores.count }
    }

    /// A board of `runs` runs with true item scores drawn as described on the type.
    static func simulate(legacy: Bool, runs: Int, random: inout Xoshiro256StarStar) -> Truth {
        let sizes = legacy ? [400, 167, 133, 100, 100, 100] : [400, 120, 120, 120, 120, 120]
        let weights = legacy ? [0.4, 0.167, 0.133, 0.1, 0.1, 0.1] : [0.4, 0.12, 0.12, 0.12, 0.12, 0.12]
        let ability = (0..<runs).map { _ in normal(&random) * 0.6 }
        let realism = (0..<runs).map { _ in 0.8 + normal(&random) * 0.4 }
        var strata: [BootstrapBoard.Stratum] = []
        for (s, size) in sizes.enumerated() {
            let offsets = (0..<runs).map { _ in normal(&random) * 0.3 }
            let difficulty = (0..<size).map { _ in normal(&random) * 1.2 + (legacy ? 0.3 : 0.6) }
            let scores = (0..<runs).map { run in
                difficulty.map { d -> Double in
                    let latent = ability[run] + offsets[run] - d + logistic(&random)
                    if !legacy { return latent > 0 ? 1 : 0 }
                    let c = level(latent, 0, 1.5)
                    let r = level(realism[run] - 0.3 * d + logistic(&random), -0.5, 1)
                    let a = level(realism[run] - 0.2 * d + logistic(&random), -0.3, 1.2)
                    return (0.7 * c + 0.2 * r + 0.1 * a) / 2
                }
            }
            strata.append(BootstrapBoard.Stratum(name: "s\(s)", weight: weights[s], scores: scores))
        }
        return Truth(strata: strata)
    }

    /// Judges `truth` adaptively and compares what it decided with the truth.
    static func adapt(_ truth: Truth, rule: AdaptiveStopping, step: Int, seed: UInt64) throws -> Outcome {
        let population = truth.strata.map { $0.scores[0].count }
        let keys = population.enumerated().map { s, size in (0..<size).map { (s, $0) } }
        let order = StratifiedOrder.order(keys, seed: seed)
        let trueOverall = try BootstrapBoard(strata: truth.strata).overall
        var taken = 0
        var check: AdaptiveStopping.Check?
        while taken < order.count {
            taken = min(order.count, taken + step)
            var picked = [[Int]](repeating: [], count: truth.strata.count)
            for (s, item) in order[..<taken] { picked[s].append(item) }
            // A stratum not yet reached cannot be estimated; keep judging.
            guard picked.allSatisfy({ !$0.isEmpty }) else { continue }
            let board = try BootstrapBoard(strata: truth.strata.enumerated().map { s, stratum in
                BootstrapBoard.Stratum(name: stratum.name, weight: stratum.weight,
                                       scores: stratum.scores.map { row in picked[s].map { row[$0] } })
            })
            check = try rule.check(board, population: population)
            if check?.met != nil { break }
        }
        guard let check else { throw BenchError("no look at the board was made") }
        var outcome = Outcome(runs: truth.runs, judged: taken * truth.runs, stoppedEarly: taken < order.count)
        let estimates = check.runs.map(\.overall.estimate)
        for i in 0..<truth.runs {
            let interval = check.runs[i].overall
            if interval.lower - 1e-12 <= trueOverall[i] && trueOverall[i] <= interval.upper + 1e-12 { outcome.covered += 1 }
            for j in (i + 1)..<truth.runs where trueOverall[i] != trueOverall[j] {
                outcome.pairs += 1
                if (estimates[i] - estimates[j]) * (trueOverall[i] - trueOverall[j]) <= 0 { outcome.wrongPairs += 1 }
            }
        }
        for (k, separated) in check.separated.enumerated() where separated {
            outcome.claimed += 1
            if trueOverall[check.order[k]] <= trueOverall[check.order[k + 1]] { outcome.falseClaims += 1 }
        }
        return outcome
    }

    /// A level 0, 1 or 2 from a latent value and two thresholds.
    static func level(_ latent: Double, _ low: Double, _ high: Double) -> Double {
        latent > high ? 2 : latent > low ? 1 : 0
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ random: inout Xoshiro256StarStar) -> Double {
        let u = max(random.nextUnit(), 0x1p-60), v = random.nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// A standard logistic draw.
    static func logistic(_ random: inout Xoshiro256StarStar) -> Double {
        let u = min(max(random.nextUnit(), 0x1p-60), 1 - 0x1p-53)
        return log(u / (1 - u))
    }
}
