import ArgumentParser
import Foundation
import WiseCore
import WiseStore

/// `wise runs`: list the runs in a store.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in the store with their set, protocol, images and judgments."
    )

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openExisting()
        let runs = try store.runs()
        if runs.isEmpty { Console.out("no runs in \(store.path)\n"); return }
        for run in runs {
            let counts = try store.counts(of: run)
            Console.out("\(run.name)  set \(run.set.rawValue)  protocol \(run.scoringProtocol.rawValue)  \(run.generator.summary)  images \(counts.images)  judgments \(counts.judgments)  created \(run.createdAt)\n")
            let asked = Set(try store.generationPasses(run: run).flatMap(\.requestedIDs))
            if !asked.isEmpty && asked.count < Catalogue.promptCount {
                Console.out("    generated for ids \(idRanges(Array(asked))) only (\(asked.count) of \(Catalogue.promptCount) prompts asked for)\n")
            }
        }
    }
}
