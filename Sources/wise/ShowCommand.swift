import ArgumentParser
import WiseHarness

/// `wise show RUN ID`: one item of a run and everything recorded about it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one item of a run: prompt, explanation, image, and every judgment with raw replies, errors, tokens and latency.",
        discussion: """
            Example:
              wise show flux-dev 401
            """
    )

    @Argument(help: "The run (see `wise runs`).")
    var name: String

    @Argument(help: "The prompt id (1–1000).")
    var id: Int

    @OptionGroup var storeOptions: StoreOptions

    func run() throws { Console.out(try ItemReport(store: try storeOptions.openReadOnly(), run: name, promptID: id).render()) }
}
