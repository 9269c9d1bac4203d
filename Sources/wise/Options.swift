import ArgumentParser
import Foundation
import WiseCore
import WiseReport
import WiseStore

/// The `--store PATH` option that every command touching results takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite store that holds runs, images and judgments.", valueName: "path"))
    var store: String = "results/wise.sqlite"

    /// Opens the store for writing, creating it (and its folder) when needed.
    func openForWriting() throws -> ResultsStore { try ResultsStore(path: store, create: true) }
    /// Opens an existing store to write to; a missing one is an error, never a new empty file.
    func openExisting() throws -> ResultsStore { try ResultsStore(path: store, access: .write) }
    /// Opens an existing store read-only, never migrating or changing it (a colleague's store works too).
    func openReadOnly() throws -> ResultsStore { try ResultsStore(path: store, access: .readOnly) }
}

/// The `--price-in` / `--price-out` options that turn judge tokens into a cost.
struct PriceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Price per million judge input tokens; adds the cost to reports and --dry-run.", valueName: "price"))
    var priceIn: Double?

    @Option(help: ArgumentHelp("Price per million judge output tokens.", valueName: "price"))
    var priceOut: Double?

    func validate() throws {
        if let priceIn { try checkRange("--price-in", priceIn, 0...1e6) }
        if let priceOut { try checkRange("--price-out", priceOut, 0...1e6) }
    }

    var prices: TokenPrices? {
        guard priceIn != nil || priceOut != nil else { return nil }
        return TokenPrices(input: priceIn ?? 0, output: priceOut ?? 0)
    }
}

extension PromptSet: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension ScoringProtocol: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Loads one prompt set from WISE_DATA or the cache.
func loadCatalogue(_ set: PromptSet) throws -> Catalogue {
    try CatalogueLocation.fromEnvironment().load(set)
}

/// Checks a run name given on the command line.
func validRunName(_ name: String) throws -> String {
    try RunSpec.validateName(name)
    return name
}

/// Writes command output to a file (atomically) or to stdout.
func emit(_ text: String, to path: String?) throws {
    if let path {
        try writeAtomically(Data(text.utf8), to: URL(fileURLWithPath: path))
        Console.note("wrote \(path)")
    } else {
        Console.out(text)
    }
}

/// Compresses ids into ranges: `3, 17, 45–50`.
func idRanges(_ ids: [Int]) -> String { PromptSelection.ranges(ids.sorted()) }

/// Refuses a numeric option that is not a finite number within what the option can mean (NaN,
/// infinity, negative, or so large or small it would switch a limit off or overflow a timer).
func checkRange(_ name: String, _ value: Double, _ range: ClosedRange<Double>) throws {
    guard value.isFinite, range.contains(value) else {
        throw ValidationError("\(name) must be a number from \(number(range.lowerBound)) to \(number(range.upperBound)), not \(value)")
    }
}

private func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// Refuses an output path that is the store or one of its companion files (WAL, shared memory,
/// journal, judging lock), however it is spelt: writing there would destroy the store.
func refuseStoreFiles(_ path: String, option: String, store: String) throws {
    let storeReal = realPath(store)
    let url = URL(fileURLWithPath: path)
    let target = PathKind(path) == .missing
        ? URL(fileURLWithPath: realPath(url.deletingLastPathComponent().path)).appendingPathComponent(url.lastPathComponent).path
        : realPath(path)
    for suffix in ["", "-wal", "-shm", "-journal", ".judge-lock"] where target == storeReal + suffix {
        throw UsageError("\(option) \(path) is the store\(suffix.isEmpty ? "" : "'s \(suffix) file") (\(store)); writing there would destroy it: pick another file")
    }
}
