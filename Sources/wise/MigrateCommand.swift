import ArgumentParser
import WiseHarness

/// `wise migrate RUN… --from A` with judge B's options: what moving a board to another judge changes.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Judge runs judged by judge A with judge B and report what changes: ranks, per-category shifts, κ and α, flipped verdicts.",
        discussion: """
            Judge A is named by --from (key prefix, adapter or model, as `wise report --judge` takes it) and must have judged every run; judge B is given by the judge options, as for `wise judge`. Judging with B is cache-aware: B's verdicts already in the store are kept and identical requests are answered from the store, so a second `wise migrate` sends nothing. The passes' boards go to stderr; the report is the output.

            The report: each run's rank and overall under A and under B with 95% intervals (the board's stratified bootstrap, the same seed for both), the shift B − A overall (official weights) and per category with intervals from a paired stratified bootstrap, agreement per aspect (Cohen's κ, Krippendorff's α; α on the WiScore) with bootstrap intervals, per run and pooled, and the items whose verdict flipped (an aspect level changed), the largest first.

            Examples:
              wise migrate flux sd35 --from gpt-4o-2024-05-13 \\
                --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B
              wise migrate flux sd35 --from 3fa2 --base-url http://gpu1:8000/v1 \\
                --model Qwen3.5-35B-A3B --format html --out migration.html
            """
    )

    @Argument(help: ArgumentHelp("Runs judged by judge A, to judge with B.", valueName: "run"))
    var runs: [String]

    @Option(help: ArgumentHelp("Judge A, whose verdicts the board has now: key prefix, adapter or model.", valueName: "key"))
    var from: String

    @OptionGroup var judgeOptions: JudgeOptions

    @Option(help: "Bootstrap resamples of every interval.")
    var resamples = 10_000

    @Option(help: ArgumentHelp("Seed of the bootstrap's draws; the same seed gives the same intervals.", valueName: "n"))
    var bootstrapSeed: UInt64 = 1

    @Option(help: ArgumentHelp("How many flipped items the text and HTML list (JSON lists all).", valueName: "n"))
    var flips = 20

    @Option(help: "terminal, json or html.")
    var format: MigrationFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run judged by judge A") }
        if !(1...1_000_000).contains(resamples) { throw ValidationError("--resamples must be 1…1000000, not \(resamples)") }
        if flips < 0 { throw ValidationError("--flips must be 0 or more, not \(flips)") }
    }

    func run() async throws {
        let text = try await Migration.run(runs: runs, from: from, options: judgeOptions, store: storeOptions,
                                           resamples: resamples, seed: bootstrapSeed, format: format, listedFlips: flips)
        if !judgeOptions.dryRun { try emit(text, to: out) }
    }
}

extension MigrationFormat: ExpressibleByArgument {}
