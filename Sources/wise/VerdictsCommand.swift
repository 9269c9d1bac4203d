import ArgumentParser
import WiseHarness

/// `wise verdicts`: manage one judge's verdicts on a run.
struct VerdictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdicts",
        abstract: "Manage one judge's verdicts on a run (delete them, keeping the images and other judges' verdicts).",
        subcommands: [Delete.self]
    )

    /// `wise verdicts delete RUN --judge X --yes`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete one judge's verdicts on a run, in one transaction; the images and other judges' verdicts stay.",
            discussion: """
                Without --yes nothing is deleted: it says how many verdicts would go. `wise runs` shows how many judges each run has; `wise report RUN` names them.

                Examples:
                  wise verdicts delete flux-dev --judge 3f9a2c1e       # what would go
                  wise verdicts delete flux-dev --judge gpt-4.1 --yes  # deletes them
                """
        )

        @Argument(help: "The run whose verdicts to delete (see `wise runs`).")
        var name: String

        @Option(help: ArgumentHelp("The judge whose verdicts go, by key prefix, adapter or model name.", valueName: "key"))
        var judge: String

        @Flag(help: "Delete them (without it, only say what would be deleted).")
        var yes = false

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try RunListing(store: try storeOptions.openExisting()).deleteVerdicts(run: name, judge: judge, confirmed: yes)
        }
    }
}
