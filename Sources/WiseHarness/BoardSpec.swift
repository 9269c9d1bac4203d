import ArgumentParser
import Foundation
import WiseCore

/// A board spec file: which models make a board, on which prompt sets, judged by which judge.
///
/// The file is JSON, read with the project's JSON policy (`JSONValue.read`); every field is
/// checked before anything runs, and a bad one is named with its fix in one line:
///
/// ```json
/// {"sets": ["verified"], "ids": "1-40", "samples": 1,
///  "models": [{"model": "flux.1-dev"},
///             {"model": "bagel-7b", "run": "bagel-think", "options": {"bagel-mode": "think"}},
///             {"run": "mine", "generator": "command", "options": {"argv": "my-gen {prompt} {out}"}}],
///  "judge": {"adapter": "openai", "model": "Qwen3.5-35B-A3B",
///            "base_urls": ["http://judge:8000/v1"], "api_key_env": "JUDGE_KEY",
///            "options": {"concurrency": 32}}}
/// ```
///
/// A model's `options` are the `wise generate` options of its generator, the judge's `options`
/// those of `wise judge`, named without the leading `--` (`true` for a flag, a list for an option
/// given several times). Each model is its own run, named `run` (default: the model's name), or
/// `RUN-SET` when the board has several sets.
public struct BoardSpec: Sendable {
    /// One model of the board: a registry model or a generator with its options.
    public struct Entry: Sendable, Equatable {
        /// The registry model (`wise models list`), or nil for a generator named by `generator`.
        public var model: String?
        /// The run's name before the set suffix.
        public var run: String
        /// The `wise generate` arguments of this model (generator and options, samples, seed base; no selection).
        public var generateArguments: [String]
    }

    /// One run of the board: a model on one set.
    public struct Run: Sendable, Equatable {
        public var name: String
        public var set: PromptSet
        public var entry: Entry
    }

    /// Where the spec was read from, for messages.
    public var path: String
    /// The prompt sets, in the order given.
    public var sets: [PromptSet]
    /// The models, in the order given.
    public var entries: [Entry]
    /// `--ids` for every model and the judge, when given.
    public var ids: String?
    /// `--limit` for every model and the judge, when given.
    public var limit: Int?
    /// Seconds one image may take before its worker or command is killed.
    public var generateTimeout: Double
    /// The `wise judge` arguments (adapter, model, base URLs, key variable, options; no selection).
    public var judgeArguments: [String]

    /// Every run of the board: each model on each set.
    public var runs: [Run] {
        sets.flatMap { set in entries.map { Run(name: sets.count == 1 ? $0.run : "\($0.run)-\(set.rawValue)", set: set, entry: $0) } }
    }

    /// The selection arguments (`--ids`, `--limit`) given to generation and judging alike.
    public var selectionArguments: [String] {
        (ids.map { ["--ids", $0] } ?? []) + (limit.map { ["--limit", String($0)] } ?? [])
    }

    static let topFields = ["sets", "models", "judge", "ids", "limit", "samples", "seed_base", "generate_timeout"]
    static let entryFields = ["model", "run", "generator", "options"]
    static let judgeFields = ["adapter", "model", "base_urls", "api_key_env", "options"]
    /// Options the board sets for every model (or the command line), not one model.
    static let boardOwned = ["ids", "limit", "shard", "samples", "seed-base", "store", "model", "generator", "dry-run"]
    /// Judge options that are fields of `judge` (or the board's, or the command line's).
    static let judgeOwned = ["ids", "limit", "shard", "store", "judge", "model", "base-url", "api-key-env", "dry-run"]

    /// Reads and checks a spec file; a bad field throws one `UsageError` naming it and the fix.
    public static func load(_ path: String) throws -> BoardSpec {
        guard PathKind(path) == .file, let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("board spec \(path) is not a readable file; name a JSON board spec (see `wise board run --help`)")
        }
        return try parse(data, path: path)
    }

    /// Checks a spec's text; `path` names it in messages.
    public static func parse(_ data: Data, path: String) throws -> BoardSpec {
        let fail = { (field: String, fix: String) in UsageError("board spec \(path): \(field) \(fix)") }
        let root: JSONValue
        do { root = try JSONValue.read(data) } catch let error as DataError {
            throw UsageError("board spec \(path) is \(error.message); write it as one JSON object (see `wise board run --help`)")
        }
        guard case .object(let top) = root else { throw fail("(the whole file)", "must be a JSON object with sets, models and judge") }
        try refuseUnknown(top, known: topFields, at: "", fail: fail)

        guard case .array(let setValues)? = root["sets"], !setValues.isEmpty else {
            throw fail("sets", "must be a non-empty list of prompt sets, e.g. [\"verified\"] (legacy, legacy-rewrite or verified)")
        }
        var sets: [PromptSet] = []
        for (i, value) in setValues.enumerated() {
            guard let set = value.string.flatMap(PromptSet.init(rawValue:)) else {
                throw fail("sets[\(i)]", "is \(value.literal); use legacy, legacy-rewrite or verified")
            }
            guard !sets.contains(set) else { throw fail("sets[\(i)]", "names \(set.rawValue) twice; give each set once") }
            sets.append(set)
        }

        let ids = try optionalString(root["ids"], field: "ids", fix: "must be prompt ids as text, e.g. \"1-40,401\"", fail: fail)
        if let ids {
            do { _ = try PromptSelection.parseIDs(ids) } catch { throw fail("ids", "is \"\(ids.prefix(40))\": \(error); write ids as \"1-40,401\"") }
        }
        let limit = try optionalInt(root["limit"], field: "limit", range: 1...1_000_000, fail: fail)
        let samples = try optionalInt(root["samples"], field: "samples", range: 1...100, fail: fail)
        let seedBase = try optionalInt(root["seed_base"], field: "seed_base", range: 0...Int(Int32.max), fail: fail)
        var timeout = 600.0
        if let value = root["generate_timeout"] {
            guard let seconds = value.finiteNumber, seconds > 0, seconds <= 86_400 else {
                throw fail("generate_timeout", "is \(value.literal); give the seconds one image may take, 1 to 86400")
            }
            timeout = seconds
        }

        guard case .array(let modelValues)? = root["models"], !modelValues.isEmpty else {
            throw fail("models", "must be a non-empty list of models, e.g. [{\"model\": \"flux.1-dev\"}]")
        }
        var entries: [Entry] = []
        for (i, value) in modelValues.enumerated() {
            let field = "models[\(i)]"
            guard case .object(let members) = value else { throw fail(field, "is \(value.literal); write {\"model\": NAME} or {\"run\": NAME, \"generator\": ADAPTER, \"options\": {…}}") }
            try refuseUnknown(members, known: entryFields, at: field + ".", fail: fail)
            let model = try optionalString(value["model"], field: field + ".model", fix: "must be a registry model's name (see `wise models list`)", fail: fail)
            let generator = try optionalString(value["generator"], field: field + ".generator", fix: "must be a generator adapter's name: \(GeneratorAdapters.names.joined(separator: ", "))", fail: fail)
            guard model != nil || generator != nil else {
                throw fail(field, "names no model: give \"model\" (a registry name, see `wise models list`) or \"generator\" with its \"options\"")
            }
            guard let run = try optionalString(value["run"], field: field + ".run", fix: "must be the run's name as text", fail: fail) ?? model else {
                throw fail(field, "has a generator but no \"run\": name its run, e.g. \"run\": \"my-model\"")
            }
            do { try RunSpec.validateName(run) } catch let error as UsageError {
                throw fail(field + ".run", "'\(run)': \(error.message.replacingOccurrences(of: "run name '\(run)' ", with: ""))")
            }
            if let other = entries.firstIndex(where: { $0.run == run }) {
                throw fail(field + ".run", "'\(run)' is also models[\(other)]'s run; give each model a run name of its own (\"run\": …)")
            }
            if sets.count > 1, value["options"]?["out"] != nil {
                throw fail(field + ".options.out", "would put the images of all \(sets.count) sets in one folder; leave it out (each run then writes results/images/RUN)")
            }
            var arguments = generator.map { ["--generator", $0] } ?? []
            arguments += try optionArguments(value["options"], field: field + ".options", owned: boardOwned, fail: fail)
            arguments += samples.map { ["--samples", String($0)] } ?? []
            arguments += seedBase.map { ["--seed-base", String($0)] } ?? []
            do { _ = try GenerationOptions.parse(arguments) } catch {
                throw fail(field + ".options", "are not valid `wise generate` options: \(firstLine(GenerationOptions.message(for: error))); fix them (see `wise generate --help`)")
            }
            entries.append(Entry(model: model, run: run, generateArguments: arguments))
        }
        for set in sets where sets.count > 1 {
            for entry in entries {
                let name = "\(entry.run)-\(set.rawValue)"
                do { try RunSpec.validateName(name) } catch { throw fail("models[\(entries.firstIndex(of: entry)!)].run", "'\(entry.run)' makes the run name '\(name)' too long; shorten it") }
            }
        }

        guard case .object(let judgeMembers)? = root["judge"] else {
            throw fail("judge", "must be an object, e.g. {\"adapter\": \"openai\", \"model\": \"Qwen3.5-35B-A3B\", \"base_urls\": [\"http://localhost:8000/v1\"]}")
        }
        try refuseUnknown(judgeMembers, known: judgeFields, at: "judge.", fail: fail)
        let judge = root["judge"]!
        let adapter = try optionalString(judge["adapter"], field: "judge.adapter", fix: "must be a judge adapter's name: \(JudgeAdapters.names.joined(separator: ", "))", fail: fail) ?? "openai"
        guard JudgeAdapters.names.contains(adapter) else {
            throw fail("judge.adapter", "is \"\(adapter.prefix(40))\"; use one of \(JudgeAdapters.names.joined(separator: ", "))")
        }
        var judgeArguments = ["--judge", adapter]
        let judgeModel = try optionalString(judge["model"], field: "judge.model", fix: "must be the judge model's name as its server knows it", fail: fail)
        let keyEnv = try optionalString(judge["api_key_env"], field: "judge.api_key_env", fix: "must name the environment variable that holds the key", fail: fail)
        var baseURLs: [String] = []
        if let value = judge["base_urls"] {
            guard case .array(let urls) = value, !urls.isEmpty, urls.allSatisfy({ $0.string != nil }) else {
                throw fail("judge.base_urls", "must be a non-empty list of API roots, e.g. [\"http://localhost:8000/v1\"]")
            }
            baseURLs = urls.compactMap(\.string)
        }
        if adapter != "openai", let given = [("model", judgeModel != nil), ("base_urls", !baseURLs.isEmpty), ("api_key_env", keyEnv != nil)].first(where: \.1) {
            throw fail("judge.\(given.0)", "belongs to the openai judge; the \(adapter) judge takes its settings in judge.options")
        }
        if let keyEnv {
            // The field names a variable; a key pasted here would end up in logs, so it is refused
            // without being repeated.
            let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
            guard !keyEnv.isEmpty, keyEnv.count <= 100, keyEnv.unicodeScalars.allSatisfy(allowed.contains), !("0"..."9").contains(keyEnv.first!) else {
                throw fail("judge.api_key_env", "must be the NAME of the environment variable that holds the key (letters, digits, _), never the key itself")
            }
            judgeArguments += ["--api-key-env", keyEnv]
        }
        judgeArguments += judgeModel.map { ["--model", $0] } ?? []
        judgeArguments += baseURLs.flatMap { ["--base-url", $0] }
        judgeArguments += try optionArguments(judge["options"], field: "judge.options", owned: judgeOwned, fail: fail)
        do { _ = try JudgeOptions.parse(judgeArguments) } catch {
            throw fail("judge", "is not a valid `wise judge` configuration: \(firstLine(JudgeOptions.message(for: error))); fix judge or judge.options (see `wise judge --help`)")
        }
        return BoardSpec(path: path, sets: sets, entries: entries, ids: ids, limit: limit, generateTimeout: timeout, judgeArguments: judgeArguments)
    }

    /// The generation options of one model, parsed as `wise generate` parses them.
    public func generationOptions(_ entry: Entry) throws -> GenerationOptions {
        try GenerationOptions.parse(entry.generateArguments + selectionArguments)
    }

    /// The judge options, parsed as `wise judge` parses them.
    public func judgeOptions(dryRun: Bool = false) throws -> JudgeOptions {
        var options = try JudgeOptions.parse(judgeArguments)
        options.dryRun = dryRun
        return options
    }

    /// Members other than `known` are refused, with the known ones listed.
    static func refuseUnknown(_ members: [(String, JSONValue)], known: [String], at prefix: String,
                              fail: (String, String) -> UsageError) throws {
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw fail(prefix + unknown.0, "is not a field here; the fields are \(known.joined(separator: ", "))")
        }
    }

    /// A string member, nil when absent; any other type is refused.
    static func optionalString(_ value: JSONValue?, field: String, fix: String, fail: (String, String) -> UsageError) throws -> String? {
        guard let value else { return nil }
        guard let text = value.string, !text.isEmpty else { throw fail(field, "is \(value.literal); it \(fix)") }
        return text
    }

    /// An integer member within `range`, nil when absent.
    static func optionalInt(_ value: JSONValue?, field: String, range: ClosedRange<Int>, fail: (String, String) -> UsageError) throws -> Int? {
        guard let value else { return nil }
        guard let number = value.integer, range.contains(number) else {
            throw fail(field, "is \(value.literal); give a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// An `options` object as command-line arguments: `{"gpus": "0,1", "fp16": true}` → `--gpus 0,1 --fp16`.
    static func optionArguments(_ value: JSONValue?, field: String, owned: [String], fail: (String, String) -> UsageError) throws -> [String] {
        guard let value else { return [] }
        guard case .object(let members) = value else {
            throw fail(field, "is \(value.literal); write an object of option names without -- and their values, e.g. {\"gpus\": \"0,1\"}")
        }
        var arguments: [String] = []
        for (name, option) in members {
            let place = "\(field).\(name)"
            guard !name.hasPrefix("-"), !name.isEmpty else { throw fail(place, "starts with -; name the option without its dashes") }
            guard !owned.contains(name) else {
                throw fail(place, "is set for the whole board, not here; use the spec's own field (sets, ids, limit, samples, seed_base, judge.model, judge.base_urls, judge.api_key_env) or the command line")
            }
            let values: [JSONValue]
            if case .array(let items) = option { values = items } else { values = [option] }
            for item in values {
                switch item {
                case .bool(true): arguments.append("--\(name)")
                case .bool(false): continue
                case .string(let text): arguments += ["--\(name)", text]
                case .int(let number): arguments += ["--\(name)", String(number)]
                case .number(let number) where number.isFinite: arguments += ["--\(name)", formatNumber(number)]
                default: throw fail(place, "is \(item.literal); give text, a number, true (a flag) or a list of those")
                }
            }
        }
        return arguments
    }
}

/// The first line of a message.
private func firstLine(_ text: String) -> String { text.split(separator: "\n").first.map(String.init) ?? text }
