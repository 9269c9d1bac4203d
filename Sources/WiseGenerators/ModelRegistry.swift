import Foundation
import WiseCore

/// The models wise knows by name (`models/registry.json`): adapter, model id and the settings
/// their authors recommend, and the family each belongs to.
public struct ModelRegistry: Sendable, Decodable {
    /// One registered model.
    public struct Model: Sendable, Decodable, Equatable {
        /// The name used with `--model`, e.g. `flux.1-dev`.
        public var name: String
        /// The maker's family, for self-preference studies (`flux`, `stable-diffusion`, `openai`, …).
        public var family: String
        /// `worker`, `command` or `openai-images`.
        public var adapter: String
        /// For the worker adapter: which worker kind (a key of the registry's `workers`).
        public var worker: String?
        /// The model's id on its hub or API.
        public var modelID: String
        public var width: Int?
        public var height: Int?
        public var steps: Int?
        public var guidance: Double?
        public var dtype: String?
        /// For the command adapter: the argv template (see `CommandGenerator`).
        public var argv: [String]?
        /// Extra per-request options sent to a worker.
        public var options: [String: JSONValue]?
        /// Where the settings come from (model card, paper, code).
        public var source: String?
        /// Which values are guesses, and anything else a user must know.
        public var notes: String?
        /// The rows of the official boards this entry reproduces, each `BOARD: ROW` with the row's
        /// name exactly as the board writes it, e.g. `verified: FLUX.1-dev` or `legacy: SD-v1-5`.
        public var published: [String]?

        enum CodingKeys: String, CodingKey {
            case name, family, adapter, worker, modelID = "model_id", width, height, steps, guidance, dtype, argv, options, source, notes, published
        }

        public var settings: GenerationSettings { GenerationSettings(width: width, height: height, steps: steps, guidance: guidance) }
    }

    /// The boards a `published` name may point at: `verified` (the WISE_Verified board,
    /// `leadboard.md`) and `legacy` (the tables of `WISE_legacy/README.md`).
    public static let boards = ["verified", "legacy"]

    /// The default model (the README's first command uses it).
    public var defaultModel: String
    /// Worker commands by kind; `{model_id}` and `{dtype}` are filled in from the model.
    public var workers: [String: [String]]
    public var models: [Model]

    /// The folder relative worker scripts are found in: the one above `models/` (the repository,
    /// or an install's `share/wise`).
    public var root: URL?

    enum CodingKeys: String, CodingKey { case defaultModel = "default", workers, models }

    /// Reads a registry file, checking every model names a known worker and, given the registered
    /// generator `adapters` (the harness's registry), a known adapter.
    public static func load(from url: URL, adapters: [String]? = nil) throws -> ModelRegistry {
        let data = try readUserFile(url.path, noun: "model registry", expected: "a JSON file")
        var registry: ModelRegistry
        do { registry = try JSONDecoder().decode(ModelRegistry.self, from: data) } catch {
            throw DataError("model registry \(url.path) is not valid: \(error); fix the file or point WISE_MODELS at another")
        }
        for model in registry.models {
            if let adapters, !adapters.contains(model.adapter) {
                throw DataError("model registry \(url.path): model \(model.name) has unknown adapter '\(model.adapter)'\(didYouMean(model.adapter, among: adapters)); the generators are \(adapters.joined(separator: ", "))")
            }
            if model.adapter == "worker", registry.workers[model.worker ?? ""] == nil {
                throw DataError("model registry \(url.path): model \(model.name) names worker '\(model.worker ?? "")', which is not under \"workers\"")
            }
            for row in model.published ?? [] where boardRow(row) == nil {
                throw DataError("model registry \(url.path): model \(model.name) has published name '\(row)', which is not BOARD: ROW; write e.g. \"verified: FLUX.1-dev\" (boards: \(boards.joined(separator: ", ")))")
            }
        }
        registry.root = url.deletingLastPathComponent().deletingLastPathComponent()
        return registry
    }

    /// Splits a `published` name into its board and row (`"legacy: SD-v1-5"` → `("legacy", "SD-v1-5")`),
    /// or nil where the board is not one of `boards` or the row is empty.
    public static func boardRow(_ published: String) -> (board: String, row: String)? {
        guard let colon = published.firstIndex(of: ":") else { return nil }
        let board = String(published[..<colon])
        let row = published[published.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard boards.contains(board), !row.isEmpty else { return nil }
        return (board, row)
    }

    /// Finds the registry: `WISE_MODELS`, else `models/registry.json` under the first of
    /// `dataRoots` that has one (the current folder, an install prefix's `share/wise`, or the
    /// source checkout a built `wise` lives in).
    ///
    /// `executable` is the running program's real path (symbolic links resolved), so a `wise`
    /// linked into PATH still finds the prefix it was installed into.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: URL? = runningExecutable(),
                              currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> URL {
        if let path = environment["WISE_MODELS"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let roots = dataRoots(executable: executable, currentDirectory: currentDirectory)
        for base in roots {
            let url = base.appendingPathComponent("models/registry.json")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        let looked = roots.map { $0.appendingPathComponent("models").path }.joined(separator: ", ")
        throw FileError("no model registry found (models/registry.json in \(looked)); reinstall with tools/install.sh, or set WISE_MODELS=FILE", kind: .missingInput)
    }

    /// The folders that may hold wise's data (`models/`, `workers/`, `prompts/`), in the order they are tried:
    /// the current folder; then, for an executable at `DIR/wise`, `DIR/../share/wise` (the layout
    /// `tools/install.sh` makes under its prefix, e.g. /usr/local/bin/wise and /usr/local/share/wise);
    /// then `DIR` and five folders above it (a checkout's `.build/<triple>/release/wise`).
    public static func dataRoots(executable: URL?, currentDirectory: URL) -> [URL] {
        var roots = [currentDirectory.standardizedFileURL]
        if let executable {
            let bin = executable.deletingLastPathComponent().standardizedFileURL
            roots.append(bin.deletingLastPathComponent().appendingPathComponent("share/wise").standardizedFileURL)
            var dir = bin
            for _ in 0..<6 {
                roots.append(dir)
                if dir.path == "/" { break }
                dir = dir.deletingLastPathComponent().standardizedFileURL
            }
        }
        var seen = Set<String>()
        return roots.filter { seen.insert($0.path).inserted }
    }

    /// The real path of the running program, symbolic links resolved (nil where it cannot be told).
    public static func runningExecutable() -> URL? {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
    }

    /// The Python a worker command's `python3` stands for: the registry's own virtual environment
    /// (`venv/bin/python3` beside `models/`, which `tools/install.sh` creates) when there is one.
    public var python: String? {
        guard let root else { return nil }
        let path = root.appendingPathComponent("venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The model of a name, or an error that suggests the closest name.
    public func model(named name: String) throws -> Model {
        if let model = models.first(where: { $0.name.lowercased() == name.lowercased() }) { return model }
        throw UsageError("no model named '\(name)' in the registry\(didYouMean(name, among: models.map(\.name))); see `wise models list`, or use --generator worker --worker-cmd … for an unregistered model")
    }

    /// The worker command of a worker model, `{model_id}` and `{dtype}` filled in, a relative
    /// script path that exists in the registry's folder made absolute (so any folder works), and
    /// `python3` replaced by the registry's virtual environment's Python when it has one.
    /// With `resolvingPaths: false` the paths stay as the registry writes them (what a run records,
    /// so shards checked out in different folders still agree).
    public func workerCommand(for model: Model, resolvingPaths: Bool = true) -> [String] {
        var argv = workers[model.worker ?? ""] ?? []
        if model.dtype == nil, let flag = argv.firstIndex(of: "{dtype}").map({ $0 - 1 }), flag >= 0, argv[flag].hasPrefix("--") {
            argv.removeSubrange(flag...(flag + 1))
        }
        if resolvingPaths, argv.first == "python3", let python { argv[0] = python }
        return argv.map { argument in
            let filled = argument.replacingOccurrences(of: "{model_id}", with: model.modelID)
                .replacingOccurrences(of: "{dtype}", with: model.dtype ?? "")
            if resolvingPaths, let root, !filled.hasPrefix("/"), filled.hasSuffix(".py"),
               FileManager.default.fileExists(atPath: root.appendingPathComponent(filled).path) {
                return root.appendingPathComponent(filled).path
            }
            return filled
        }
    }
}
