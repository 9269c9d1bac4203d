import Foundation
import WiseCore
import WiseGenerators
import WiseHTTP
import WiseHub

/// The models wise knows by name, for `wise models`: the registry as a table, and CLIP models
/// fetched from the Hugging Face hub.
public enum ModelListing {
    /// The registry (models/registry.json, or WISE_MODELS) as a table that fits 100 columns: a
    /// line per model (adapter, size, steps, guidance, dtype and family, the default marked), and
    /// under it the model id and the board rows the entry reproduces. `registryURL` defaults to
    /// the registry `ModelRegistry.locate()` finds.
    public static func render(registryURL: URL? = nil) throws -> String {
        let url = try registryURL ?? ModelRegistry.locate()
        let registry = try ModelRegistry.load(from: url, adapters: GeneratorAdapters.names)
        let header = ["name", "family", "adapter", "size", "steps", "guidance", "dtype"]
        var rows = [header]
        var details = [""]
        for m in registry.models {
            let size = m.width.map { w in "\(w)x\(m.height ?? w)" } ?? "-"
            rows.append([m.name + (m.name == registry.defaultModel ? " *" : ""), m.family,
                         m.adapter + (m.worker.map { "/\($0)" } ?? ""), size,
                         m.steps.map(String.init) ?? "-", m.guidance.map { String($0) } ?? "-", m.dtype ?? "-"])
            details.append(detailLines(model: m))
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        var out = ""
        for (row, detail) in zip(rows, details) {
            out += row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n" + detail
        }
        return out + "* the default model; on: the rows of the official boards (verified, legacy) an entry reproduces\n"
            + "registry \(url.path); notes and sources are in the file\n"
    }

    /// The indented line(s) under a model's row: its id, then `on: …` its board rows, on one line
    /// where that fits 100 columns.
    static func detailLines(model: ModelRegistry.Model) -> String {
        let id = "    " + model.modelID
        guard let published = model.published, !published.isEmpty else { return id + "\n" }
        let on = "on: " + published.joined(separator: ", ")
        return id.count + 4 + on.count <= 100 ? id + "    " + on + "\n" : id + "\n    " + on + "\n"
    }

    /// Downloads a CLIP model's files into the cache (the token read from the variable `tokenEnv`
    /// names) and says what was fetched.
    public static func fetch(repo: String, revision: String, baseURL: String, tokenEnv: String?) async throws {
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
