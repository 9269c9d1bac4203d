import ArgumentParser
import WiseHarness

/// `wise merge`: join shard stores into one.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join stores (the shards of a cluster run) into one, refusing any conflict.",
        discussion: """
            Copies every run, image, judgment and generation pass into the --into store, in one transaction. The same item with a different image hash, or the same judgment with a different verdict, is a conflict: nothing is written and the item is named. Items already present and equal are kept once, so merging again changes nothing.

            Example:
              wise merge shard0.sqlite shard1.sqlite shard2.sqlite shard3.sqlite \\
                --into results/wise.sqlite
            """
    )

    @Argument(help: ArgumentHelp("The stores to merge (at most 10 per call).", valueName: "store"))
    var sources: [String]

    @Option(help: ArgumentHelp("The store to merge into (created when absent).", valueName: "path"))
    var into: String

    func validate() throws {
        if sources.isEmpty { throw ValidationError("name at least one store to merge") }
        if sources.count > 10 { throw ValidationError("merge at most 10 stores per call (SQLite attaches 10); merge in rounds") }
    }

    func run() throws { try StoreMerge(sources: sources, into: into).run() }
}
