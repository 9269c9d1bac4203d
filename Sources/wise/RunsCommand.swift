import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseStore

/// `wise runs`: list, delete and rename the runs in a store.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in the store (images registered, judged, scored, unscored, failed; judge; score), or delete or rename one.",
        subcommands: [List.self, Delete.self, Rename.self],
        defaultSubcommand: List.self
    )

    /// `wise runs [list]`: one aligned row per run.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs with their counts, judge and score.")

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            let store = try storeOptions.openReadOnly()
            let runs = try store.runs()
            if runs.isEmpty { Console.out("no runs in \(store.path)\n"); return }
            var rows = [["run", "set", "protocol", "images", "missing", "judged", "scored", "unscored", "failed", "judge", "score"]]
            for run in runs {
                let summary = try store.summary(of: run)
                let s = summary.score
                let c = (scored: s.categories.values.reduce(0) { $0 + $1.scored }, unscored: s.categories.values.reduce(0) { $0 + $1.unscored },
                         failed: s.categories.values.reduce(0) { $0 + $1.failed }, unjudged: s.categories.values.reduce(0) { $0 + $1.unjudged },
                         missing: s.categories.values.reduce(0) { $0 + $1.missing })
                let registered = c.scored + c.unscored + c.failed + c.unjudged
                rows.append([run.name, run.set.rawValue, run.scoringProtocol.rawValue, "\(registered)", "\(c.missing)",
                             "\(c.scored + c.unscored + c.failed)", "\(c.scored)", "\(c.unscored)", "\(c.failed)",
                             summary.judge.map { "\($0.adapter) \($0.parameters["model"] ?? "") [\($0.key.prefix(8))]" } ?? "-",
                             s.overall.map { String(format: run.scoringProtocol == .legacy ? "%.2f" : "%.4f", $0) } ?? "-"])
            }
            Console.out(alignedColumns(rows))
            for run in runs {
                let asked = Set(try store.generationPasses(run: run).flatMap(\.requestedIDs))
                if !asked.isEmpty && asked.count < Catalogue.promptCount {
                    Console.out("\(run.name): generated for ids \(idRanges(Array(asked))) only (\(asked.count) of \(Catalogue.promptCount) prompts asked for)\n")
                }
            }
        }
    }

    /// `wise runs delete NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a run with its images and judgments.")
        @Argument(help: "The run to delete.") var name: String
        @OptionGroup var storeOptions: StoreOptions
        func run() throws {
            let store = try storeOptions.openExisting()
            let lock = try JudgeLock(storePath: store.path)
            try store.deleteRun(name)
            withExtendedLifetime(lock) {}
            Console.note("deleted run \(name) from \(store.path)")
        }
    }

    /// `wise runs rename OLD NEW`.
    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a run.")
        @Argument(help: "The run's name now.") var old: String
        @Argument(help: "Its new name.") var new: String
        @OptionGroup var storeOptions: StoreOptions
        func run() throws {
            let store = try storeOptions.openExisting()
            try store.renameRun(old, to: new)
            Console.note("renamed run \(old) to \(RunSpec.normalizedName(new))")
        }
    }
}

/// Rows as text with each column padded to its widest cell (numbers right-aligned).
func alignedColumns(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return Int(cell) != nil ? pad + cell : cell + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n") + "\n"
}
