import ArgumentParser
import WiseHarness

/// `wise show RUN ID`: one item of a run and everything recorded about it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one item of a run: prompt, explanation, every sample with its seed and tries, and every judgment with raw replies, errors, tokens and latency.",
        discussion: """
            Each sample is listed as {id}_s{k} (the first, 401_s0, is the file 401.png) with its status, seed, tries and file. Tries count every attempt at the image, in this pass and earlier ones; a worker that crashed and was restarted to try the prompt again counts twice.

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
