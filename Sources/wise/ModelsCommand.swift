import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseGenerators
import WiseHTTP
import WiseHub

/// `wise models`: the models wise knows by name.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the registered models (models/registry.json, or WISE_MODELS=FILE), or fetch a CLIP model for the clip judge.",
        subcommands: [List.self, Fetch.self]
    )

    /// `wise models fetch REPO`: downloads a CLIP model's files from the Hugging Face hub into the cache.
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a CLIP model (config.json, model.safetensors, vocab.json, merges.txt, preprocessor_config.json) into the cache for --judge clip.",
            discussion: """
                Files go to $WISE_CACHE/models/OWNER--NAME/REVISION (default ~/.cache/wise). Downloads resume from where a cut one stopped; each file is checked against the hub's SHA-256 (or, where the hub gives none, the one recorded at the first download), and a file that does not match is not kept. A second fetch downloads nothing.

                Examples:
                  wise models fetch openai/clip-vit-large-patch14
                  wise models fetch openai/clip-vit-base-patch32 --revision main
                """
        )

        @Argument(help: "The repo id, e.g. openai/clip-vit-large-patch14.")
        var repo: String

        @Option(help: "The revision (branch, tag or commit).")
        var revision = "main"

        @Option(help: ArgumentHelp("A hub mirror's base URL.", valueName: "url"))
        var baseURL = HubClient.defaultBaseURL

        @Option(help: ArgumentHelp("The environment variable that holds a hub token, for gated models.", valueName: "var"))
        var tokenEnv: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            var token: String?
            if let tokenEnv {
                guard let value = environment[tokenEnv], !value.isEmpty else {
                    throw UsageError("--token-env \(tokenEnv): that environment variable is not set")
                }
                token = value
            }
            let hub = HubClient(transport: HTTPTransport(options: .init()), baseURL: baseURL,
                                cacheRoot: CatalogueLocation.cacheRoot(environment), token: token)
            let (directory, outcomes) = try await hub.fetch(repo: repo, revision: revision)
            for (file, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                switch outcome {
                case .cached: Console.out("present     \(file)\n")
                case .downloaded(let bytes): Console.out("downloaded  \(file)  \(bytes) bytes\n")
                }
            }
            Console.out("model ready in \(directory.path); use it with --judge clip --clip-model \(repo)\n")
        }
    }

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
