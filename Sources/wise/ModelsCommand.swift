import ArgumentParser
import Foundation
import WiseCore
import WiseGenerators

/// `wise models`: the models wise knows by name.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the registered models (models/registry.json, or WISE_MODELS=FILE).",
        subcommands: [List.self]
    )

    /// `wise models list`: one line per model with its adapter, id, settings and family.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered models with adapter, model id, resolution, steps, guidance, dtype and family.",
            discussion: "Example: wise models list"
        )

        func run() throws {
            let url = try ModelRegistry.locate()
            let registry = try ModelRegistry.load(from: url)
            let header = ["name", "family", "adapter", "model id", "size", "steps", "guidance", "dtype"]
            var rows = [header]
            for m in registry.models {
                let size = m.width.map { w in "\(w)x\(m.height ?? w)" } ?? "-"
                rows.append([m.name + (m.name == registry.defaultModel ? " *" : ""), m.family,
                             m.adapter + (m.worker.map { "/\($0)" } ?? ""), m.modelID, size,
                             m.steps.map(String.init) ?? "-", m.guidance.map { String($0) } ?? "-", m.dtype ?? "-"])
            }
            let widths = header.indices.map { i in rows.map { $0[i].count }.max()! }
            var out = ""
            for row in rows {
                out += row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces) + "\n"
            }
            out += "* the default model; registry \(url.path); notes and sources are in the file\n"
            Console.out(out)
        }
    }
}
