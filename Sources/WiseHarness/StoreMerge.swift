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
        // However it is spelt (a symlink, `..`, relative or absolute, a hard link), the target
        // is refused as a source before anything is opened.
        for source in sources where isSameFile(source, into) {
            throw UsageError("\(source) is the store being merged into (--into \(into)); name another target")
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
