import Foundation
import WiseCore
import WiseReport
import WiseRunner
import WiseStore

/// Registers a folder of images made elsewhere as a run: the folder listed once, every image
/// checked and hashed, recorded as it is found, and what is missing said plainly.
public struct FolderRegistration {
    public var name: String
    public var set: PromptSet
    public var scoringProtocol: ScoringProtocol
    public var folder: ImageFolder
    /// Refuse the folder (and write nothing) if any image is missing or unreadable.
    public var strict: Bool

    public init(name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, images: String, strict: Bool) {
        self.name = name; self.set = set; self.scoringProtocol = scoringProtocol ?? set.defaultProtocol
        folder = ImageFolder(directory: URL(fileURLWithPath: images, isDirectory: true).standardizedFileURL)
        self.strict = strict
    }

    /// Lists and checks the folder against the catalogue; refuses a folder with no usable image
    /// (or, when strict, any problem) before anything is written.
    public func scan(_ catalogue: Catalogue) throws -> ImageFolder.Scan {
        // A progress bar while images are read and hashed, on a terminal only (logs get the summary line).
        let meter = isatty(STDERR_FILENO) == 1 ? ProgressMeter(label: "registering \(name)", interactive: true) : nil
        meter?.start(total: catalogue.prompts.count)
        let scan = try folder.scan(ids: catalogue.prompts.map(\.id)) { meter?.update(done: $0, failed: 0, unscored: 0) }
        meter?.finish()
        guard !scan.usable.isEmpty else {
            throw DataError("no usable image in \(folder.directory.path) for set \(set.rawValue): expected files named 1.png … 1000.png (or .jpg, .jpeg, .webp)")
        }
        if strict, let first = scan.problems.first {
            throw DataError("--strict: \(scan.problems.count) of \(scan.entries.count) images are missing or unreadable, first prompt \(first.promptID): \(first.problem!); nothing was written")
        }
        return scan
    }

    /// Records a scan in the store (creating the run when new) and says what was done.
    public func record(_ scan: ImageFolder.Scan, catalogue: Catalogue, in store: ResultsStore) throws -> StoredRun {
        let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol,
                           generator: AdapterSpec(adapter: "folder", parameters: ["path": folder.directory.path]),
                           catalogueHash: catalogue.contentHash)
        try store.checkImages(run: name, records: scan.entries)
        let (run, created) = try store.beginRun(spec, catalogue: catalogue)
        let entries = scan.entries.map(BlankImage.mark)
        let registration = try store.registerImages(run: run, records: entries)
        let flat = entries.filter { $0.refusal != nil }.map(\.promptID)
        if !flat.isEmpty { Console.note("refusals (\(flat.count), one flat colour, judged but counted apart): \(idRanges(flat))") }
        Self.reportProblems(scan)
        Console.note("""
            run \(run.name) (\(created ? "new" : "existing"), set \(run.set.rawValue), protocol \(run.scoringProtocol.rawValue)): \
            \(registration.added) images added, \(registration.repaired) filled in, \(registration.unchanged) already recorded, \
            \(registration.missing) missing; store \(store.path)
            """)
        return run
    }

    /// Lists every missing or unreadable image: ids with no file as ranges, others one per line.
    static func reportProblems(_ scan: ImageFolder.Scan) {
        let absent = scan.problems.filter { $0.path == nil }.map(\.promptID)
        if !absent.isEmpty { Console.note("missing (\(absent.count), no file): \(idRanges(absent))") }
        for entry in scan.problems where entry.path != nil {
            Console.note("unreadable, counted as missing: prompt \(entry.promptID): \(entry.problem!)")
        }
        if !scan.ignored.isEmpty {
            Console.note("ignored \(scan.ignored.count) files that match no prompt id: \(scan.ignored.prefix(5).joined(separator: ", "))\(scan.ignored.count > 5 ? ", …" : "")")
        }
    }
}

/// Prints a run's one-line board (after registering or generating without judging).
public func printBoard(_ run: StoredRun, store: ResultsStore) throws {
    Console.out(try Leaderboard([try store.summary(of: run)]).render(.terminal))
}
