import ArgumentParser
import WiseHarness

/// Options every study shares: how many bootstrap resamples, which seed, and the output format.
struct StudyOptions: ParsableArguments {
    @Option(help: "Bootstrap resamples (0: no intervals).")
    var resamples = 10_000

    @Option(help: "Seed of the bootstrap's random draws; the same seed gives the same intervals.")
    var seed: UInt64 = 1

    func validate() throws {
        if resamples < 0 { throw ValidationError("--resamples must be 0 or more (0: no intervals), not \(resamples)") }
    }
}

extension StudyFormat: ExpressibleByArgument {}
