import Foundation
import WiseCore
import WiseStore

/// Joins shard stores into one for `wise merge`, refusing any conflict.
public struct StoreMerge {
    /// The stores to merge.
    public var sources: [String]
    /// The store to merge into (created when absent; removed again if that merge fails).
    public var into: String

    public init(sources: [String], into: String) { self.sources = sources; self.into = into }

    /// Checks the paths, merges in one transaction, and says what was added.
    public func run() throws {
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
