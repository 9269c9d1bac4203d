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
    /// Opens an existing store; a missing one is an error, never a new empty file.
    func openExisting() throws -> ResultsStore { try ResultsStore(path: store, create: false) }
}

/// The `--price-in` / `--price-out` options that turn judge tokens into a cost.
struct PriceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Price per million judge input tokens; adds the cost to reports and --dry-run.", valueName: "price"))
    var priceIn: Double?

    @Option(help: ArgumentHelp("Price per million judge output tokens.", valueName: "price"))
    var priceOut: Double?

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
