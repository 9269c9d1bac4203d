import ArgumentParser
import WiseHarness

/// `wise failures RUN`: the failed and unscored items of a run, grouped by reason.
struct FailuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "List a run's failed and unscored items and missing images, grouped by reason, most common first.",
        discussion: """
            Example:
              wise failures flux-dev
            """
    )

    @Argument(help: "The run (see `wise runs`).")
    var name: String

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix, adapter or model name (default: the one that judged the most images).", valueName: "key"))
    var judge: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() throws { Console.out(try FailureReport(store: try storeOptions.openReadOnly(), run: name, judgeKey: judge).render()) }
}
