import ArgumentParser
import WiseHarness

/// `wise runs`: list, delete and rename the runs in a store.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in the store (images registered, judged, scored, unscored, failed; how many judges; the default judge; score), or delete or rename one.",
        discussion: """
            The judge shown is the one a report uses by default: the one that judged the most images. Delete one judge's verdicts with `wise verdicts delete RUN --judge KEY`.

            Examples:
              wise runs
              wise runs rename flux flux-dev
            """,
        subcommands: [List.self, Delete.self, Rename.self],
        defaultSubcommand: List.self
    )

    /// `wise runs [list]`: one aligned row per run.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs with their counts, how many judges, the default judge and score.")

        @OptionGroup var storeOptions: StoreOptions

        func run() throws { Console.out(try RunListing(store: try storeOptions.openReadOnly()).render()) }
    }

    /// `wise runs delete NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a run with its images and judgments.")
        @Argument(help: "The run to delete.") var name: String
        @OptionGroup var storeOptions: StoreOptions
        func run() throws { try RunListing(store: try storeOptions.openExisting()).delete(name) }
    }

    /// `wise runs rename OLD NEW`.
    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a run.")
        @Argument(help: "The run's name now.") var old: String
        @Argument(help: "Its new name.") var new: String
        @OptionGroup var storeOptions: StoreOptions
        func run() throws { try RunListing(store: try storeOptions.openExisting()).rename(old, to: new) }
    }
}
