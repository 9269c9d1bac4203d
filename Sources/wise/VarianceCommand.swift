import ArgumentParser
import WiseHarness

/// `wise variance RUN`: how much a judge's verdicts move over K repeats.
struct VarianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "variance",
        abstract: "Measure judge variance over repeats: items changed, per-item SD and repeat flip rate, the overall per repeat, α and ICC(2,1).",
        discussion: """
            Change is decided on the exact score grid (legacy 7c + 2r + a, verified 0/1), never on floating-point WiScores: five repeats that all give (1, 1, 1) are no change.

            Items changed across repeats: images whose score differs between any two of their own scored repeats.

            Repeat flip rate: per image, the share of pairs of its scored repeats whose scores differ (the same image in the same run, judged again); the mean over images is printed.

            Neither is `wise compare`'s "changed between runs", which counts items whose score (verified: pass/fail) differs between two different runs.

            α, the mean SD, the mean repeat flip rate and the share changed carry 95% intervals from a bootstrap over images (--resamples, --seed); ICC(2,1) its F-based interval.

            Judge the run K times first, at a temperature above 0:
              wise judge flux-dev --repeats 5 --temperature 0.7 …
              wise variance flux-dev
              wise variance flux-dev --format json --least-stable 10
            """
    )

    @Argument(help: ArgumentHelp("The run judged with `wise judge RUN --repeats K`.", valueName: "run"))
    var runName: String

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix, adapter or model name (default: the one with the most repeats per image).", valueName: "key"))
    var judge: String?

    @Option(help: "How many of the least stable items to list per category.")
    var leastStable = 5

    @OptionGroup var studyOptions: StudyOptions

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if leastStable < 0 { throw ValidationError("--least-stable must be 0 or more (how many items to list per category), not \(leastStable)") }
    }

    func run() throws {
        let text = try Studies.variance(store: try storeOptions.openExisting(), run: runName, judgeKey: judge, leastStable: leastStable,
                                        resamples: studyOptions.resamples, seed: studyOptions.seed, format: format)
        try emit(text, to: out)
    }
}
