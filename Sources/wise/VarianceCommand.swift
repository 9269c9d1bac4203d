import ArgumentParser
import WiseHarness

/// `wise variance RUN`: how much a judge's verdicts move over K repeats.
struct VarianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "variance",
        abstract: "Measure judge variance over repeats: per-item SD and flip rate, the overall per repeat, α and ICC(2,1).",
        discussion: """
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

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let text = try Studies.variance(store: try storeOptions.openExisting(), run: runName, judgeKey: judge,
                                        leastStable: leastStable, format: format)
        try emit(text, to: out)
    }
}
