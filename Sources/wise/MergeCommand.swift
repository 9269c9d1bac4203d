import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseStore

/// `wise merge`: join shard stores into one.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join stores (the shards of a cluster run) into one, refusing any conflict.",
        discussion: """
            Copies every run, image, judgment and generation pass into the --into store, in one transaction. The same item with a different image hash, or the same judgment with a different verdict, is a conflict: nothing is written and the item is named. Items already present and equal are kept once, so merging again changes nothing.

            Example:
              wise merge shard0.sqlite shard1.sqlite shard2.sqlite shard3.sqlite --into results/wise.sqlite
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

    func run() throws {
        let target = URL(fileURLWithPath: into).standardizedFileURL.path
        for source in sources where URL(fileURLWithPath: source).standardizedFileURL.path == target {
            throw UsageError("--into \(into) is also one of the stores to merge; name another target")
        }
        for source in sources {
            guard PathKind(source) == .file else {
                throw FileError("store \(source) does not exist; pass the shard stores to merge", kind: .missingInput)
            }
        }
        let existed = PathKind(into) != .missing
        let store = try ResultsStore(path: into, create: true)
        let summary: MergeSummary
        do { summary = try store.merge(from: sources) } catch {
            if !existed { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: into + suffix) } }
            throw error
        }
        Console.note("merged \(sources.count) stores into \(into): \(summary.runs) runs, \(summary.images) images, \(summary.judgments) judgments, \(summary.passes) generation passes added")
    }
}
