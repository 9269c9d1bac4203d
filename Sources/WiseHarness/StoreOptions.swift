import ArgumentParser
import Foundation
import WiseCore
import WiseStore

/// The `--store PATH` option that every command touching results takes.
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite store that holds runs, images and judgments.", valueName: "path"))
    public var store: String = "results/wise.sqlite"

    public init() {}

    /// Opens the store for writing, creating it (and its folder) when needed.
    public func openForWriting() throws -> ResultsStore { try ResultsStore(path: store, create: true) }
    /// Opens an existing store to write to; a missing one is an error, never a new empty file.
    public func openExisting() throws -> ResultsStore { try ResultsStore(path: store, access: .write) }
    /// Opens the store read-only when it exists; nil when there is none yet (a dry run creates nothing).
    public func openIfPresent() throws -> ResultsStore? {
        PathKind(store) == .missing ? nil : try openReadOnly()
    }
    /// Opens an existing store read-only, never migrating or changing it (a colleague's store works too).
    public func openReadOnly() throws -> ResultsStore { try ResultsStore(path: store, access: .readOnly) }
}

/// Loads one prompt set from WISE_DATA or the cache.
public func loadCatalogue(_ set: PromptSet) throws -> Catalogue {
    try CatalogueLocation.fromEnvironment().load(set)
}

/// Writes command output to a file (atomically) or to stdout.
public func emit(_ text: String, to path: String?) throws {
    if let path {
        try writeAtomically(Data(text.utf8), to: URL(fileURLWithPath: path))
        Console.note("wrote \(path)")
    } else {
        Console.out(text)
    }
}

/// Compresses ids into ranges: `3, 17, 45–50`.
public func idRanges(_ ids: [Int]) -> String { PromptSelection.ranges(ids.sorted()) }

/// Refuses an output path that is the store or one of its companion files (WAL, shared memory,
/// journal, judging lock), however it is spelt: writing there would destroy the store.
public func refuseStoreFiles(_ path: String, option: String, store: String) throws {
    let storeReal = realPath(store)
    let url = URL(fileURLWithPath: path)
    let target = PathKind(path) == .missing
        ? URL(fileURLWithPath: realPath(url.deletingLastPathComponent().path)).appendingPathComponent(url.lastPathComponent).path
        : realPath(path)
    for suffix in ["", "-wal", "-shm", "-journal", ".judge-lock"] where target == storeReal + suffix {
        throw UsageError("\(option) \(path) is the store\(suffix.isEmpty ? "" : "'s \(suffix) file") (\(store)); writing there would destroy it: pick another file")
    }
}
