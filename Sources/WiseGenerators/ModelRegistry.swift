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

        enum CodingKeys: String, CodingKey {
            case name, family, adapter, worker, modelID = "model_id", width, height, steps, guidance, dtype, argv, options, source, notes
        }

        public var settings: GenerationSettings { GenerationSettings(width: width, height: height, steps: steps, guidance: guidance) }
    }

    /// The default model (the README's first command uses it).
    public var defaultModel: String
    /// Worker commands by kind; `{model_id}` and `{dtype}` are filled in from the model.
    public var workers: [String: [String]]
    public var models: [Model]

    enum CodingKeys: String, CodingKey { case defaultModel = "default", workers, models }

    /// Reads a registry file, checking every model names a known adapter and worker.
    public static func load(from url: URL) throws -> ModelRegistry {
        let data = try readUserFile(url.path, noun: "model registry", expected: "a JSON file")
        let registry: ModelRegistry
        do { registry = try JSONDecoder().decode(ModelRegistry.self, from: data) } catch {
            throw DataError("model registry \(url.path) is not valid: \(error); fix the file or point WISE_MODELS at another")
        }
        for model in registry.models {
            guard GeneratorKind.allCases.map(\.rawValue).contains(model.adapter) else {
                throw DataError("model registry \(url.path): model \(model.name) has unknown adapter '\(model.adapter)'")
            }
            if model.adapter == "worker", registry.workers[model.worker ?? ""] == nil {
                throw DataError("model registry \(url.path): model \(model.name) names worker '\(model.worker ?? "")', which is not under \"workers\"")
            }
        }
        return registry
    }

    /// Finds the registry: `WISE_MODELS`, else `models/registry.json` in the current folder or
    /// above the executable (the repository a built `wise` lives in).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let path = environment["WISE_MODELS"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 { candidates.append(dir); dir = dir.deletingLastPathComponent() }
        for base in candidates {
            let url = base.appendingPathComponent("models/registry.json")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw FileError("no model registry found (models/registry.json in the current folder or the wise repository); set WISE_MODELS=FILE", kind: .missingInput)
    }

    /// The model of a name, or an error that suggests the closest name.
    public func model(named name: String) throws -> Model {
        if let model = models.first(where: { $0.name.lowercased() == name.lowercased() }) { return model }
        throw UsageError("no model named '\(name)' in the registry\(didYouMean(name, among: models.map(\.name))); see `wise models list`, or use --generator worker --worker-cmd … for an unregistered model")
    }

    /// The worker command of a worker model, `{model_id}` and `{dtype}` filled in.
    public func workerCommand(for model: Model) -> [String] {
        (workers[model.worker ?? ""] ?? []).compactMap { argument in
            if argument == "{dtype}" && model.dtype == nil { return nil }
            return argument.replacingOccurrences(of: "{model_id}", with: model.modelID)
                .replacingOccurrences(of: "{dtype}", with: model.dtype ?? "")
        }.filter { !$0.isEmpty }
    }
}

/// The generator adapters, by the name `--generator` takes.
public enum GeneratorKind: String, CaseIterable, Sendable {
    case folder, worker, command
    case openAIImages = "openai-images"

    /// The adapter of a name, or an error that suggests the closest name.
    public static func named(_ name: String) throws -> GeneratorKind {
        if let kind = GeneratorKind(rawValue: name.lowercased()) { return kind }
        let names = allCases.map(\.rawValue)
        throw UsageError("unknown generator '\(name)'\(didYouMean(name, among: names)); the generators are \(names.joined(separator: ", "))")
    }
}

/// Any JSON value, for free-form options.
public enum JSONValue: Sendable, Equatable, Decodable {
    case string(String), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// The value as canonical JSON text (sorted keys).
    public var json: String {
        switch self {
        case .string(let s): return jsonString(s)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { jsonString($0) + ":" + fields[$0]!.json }.joined(separator: ",") + "}"
        }
    }
}
