import ArgumentParser
import WiseHarness

/// `wise compare ORIGINAL REWRITE`: two runs on the same prompt ids, item by item.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs on the same prompt ids: differences per category with paired bootstrap intervals, Wilcoxon and McNemar.",
        discussion: """
            Laid out like the WISE paper's rewrite table. `legacy` and `legacy-rewrite` share prompt ids and may be compared; rewritten prompts exist for the legacy set only. A legacy run and a verified run are compared only with --crosswalk, on the items matched by content (see `wise catalogue crosswalk`), each under its own scoring. Only items both runs scored are paired. Both runs are read under one judge they share; runs that share none are refused unless --allow-mixed.

            Examples:
              wise compare flux-legacy flux-rewrite
              wise compare flux-dev sd35 --format json --seed 7
              wise compare flux-dev sd35 --judge gpt-4.1   # a judge by model or key
              wise compare flux-legacy flux-verified --crosswalk
            """
    )

    @Argument(help: "The original run (the baseline).")
    var original: String

    @Argument(help: "The rewritten-prompt run (or any other run on the same ids).")
    var rewrite: String

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: "Decimals in terminal output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix, adapter or model name (default: the judge both runs share that judged the most images).", valueName: "key"))
    var judge: String?

    @Flag(help: "Compare runs that share no judge, each under its own (the difference then mixes prompts and judges).")
    var allowMixed = false

    @OptionGroup var studyOptions: StudyOptions

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Compare runs of different protocols (legacy and verified) on the items the crosswalk matches by content, each under its own scoring.")
    var crosswalk = false

    func run() throws {
        if crosswalk {
            return try emit(Studies.compareAcrossProtocols(store: try storeOptions.openExisting(), first: original, second: rewrite,
                                                           judgeKey: judge, format: format, decimals: decimals), to: out)
        }
        let text = try Studies.compare(store: try storeOptions.openExisting(), original: original, rewrite: rewrite, judgeKey: judge, allowMixed: allowMixed,
                                       resamples: studyOptions.resamples, seed: studyOptions.seed, format: format, decimals: decimals)
        try emit(text, to: out)
    }
}
