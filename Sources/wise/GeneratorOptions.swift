import ArgumentParser
import Foundation
import WiseCore
import WiseGenerators
import WiseAPI
import WiseHTTP
import WiseJudges
import WiseReport
import WiseRunner
import WiseStore

/// What to generate: prompts, samples, seeds and settings; shared by `wise generate` and `wise run`.
struct GenerationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The generator adapter: \(GeneratorKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: the registered model's).", valueName: "name"))
    var generator: String?

    @Option(help: ArgumentHelp("Images per prompt (each with its own seed); judges and reports average over them.", valueName: "n"))
    var samples = 1

    @Option(help: ArgumentHelp("The base seed: an image's seed is base + prompt id + 1000 × sample index.", valueName: "n"))
    var seedBase = 0

    @OptionGroup var selectionOptions: SelectionOptions

    @Option(help: ArgumentHelp("Where images are written (default results/images/NAME): {id}.png, {id}_s{sample}.png.", valueName: "dir"))
    var out: String?

    @Option(help: "Image width in pixels (default: the model's).")
    var width: Int?
    @Option(help: "Image height in pixels (default: the model's).")
    var height: Int?
    @Option(help: "Denoising steps (default: the model's).")
    var steps: Int?
    @Option(help: "Guidance scale (default: the model's).")
    var guidance: Double?

    @Option(help: ArgumentHelp("Images in flight at once for the command and openai-images generators (workers: --gpus × --batch).", valueName: "n"))
    var jobs = 4

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    var generateProgressInterval = 5.0

    @OptionGroup(title: "Folder generator (--generator folder)")
    var folder: FolderGeneratorOptions
    @OptionGroup(title: "Worker generator (--generator worker, or a registered worker model)")
    var worker: WorkerGeneratorOptions
    @OptionGroup(title: "Command generator (--generator command)")
    var command: CommandGeneratorOptions
    @OptionGroup(title: "OpenAI images generator (--generator openai-images)")
    var openAIImages: OpenAIImagesGeneratorOptions

    func validate() throws {
        guard (1...100).contains(samples) else { throw ValidationError("--samples must be 1…100") }
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be 1…256") }
        guard (1...64).contains(worker.batch) else { throw ValidationError("--batch must be 1…64") }
    }

    /// Where the images of a run go: `--out`, else results/images/NAME.
    func outputDirectory(run name: String) -> String { out ?? "results/images/\(name)" }

    /// The prompt selection the options name.
    func selection() throws -> PromptSelection { try selectionOptions.selection() }
}

/// `--ids`, `--limit` and `--shard`: which prompt ids a command works on; shared by generate, run and judge.
struct SelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only these prompt ids, e.g. 1-40,401.", valueName: "ids"))
    var ids: String?

    @Option(help: ArgumentHelp("Only the first N selected prompt ids (a quick smoke run).", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Only shard I of N (0 ≤ I < N) of the selected ids, split round-robin; the same split on generate and judge.", valueName: "I/N"))
    var shard: String?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// The prompt selection the options name.
    func selection() throws -> PromptSelection {
        PromptSelection(ids: try ids.map(PromptSelection.parseIDs), limit: limit, shard: try shard.map(Shard.parse))
    }

    /// The selected ids of a set as a filter, or nil when every id is selected.
    func promptIDs(among all: [Int]) throws -> Set<Int>? {
        let selection = try selection()
        return selection.isAll ? nil : Set(selection.apply(to: all))
    }
}

/// Options of the folder generator.
struct FolderGeneratorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The folder that holds 1.png … 1000.png (PNG, JPEG or WebP).", valueName: "dir"))
    var images: String?
}

/// Options of the worker generator.
struct WorkerGeneratorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The worker command, split like a shell would but run without one, e.g. 'python3 workers/diffusers_worker.py --model ID'.", valueName: "command"))
    var workerCmd: String?

    @Option(help: ArgumentHelp("One worker per GPU, each with CUDA_VISIBLE_DEVICES set: 0,1,2,3.", valueName: "ids"))
    var gpus: String?

    @Option(help: ArgumentHelp("Requests in flight per worker.", valueName: "k"))
    var batch = 1

    @Option(help: ArgumentHelp("Seconds a worker may take to load its model and print its ready line.", valueName: "seconds"))
    var startTimeout = 1800.0

    @Option(help: ArgumentHelp("A folder for each worker's stderr, worker-0.log … (default: logs/ beside the images).", valueName: "dir"))
    var workerLogs: String?

    @Option(name: .customLong("option"), help: ArgumentHelp("An option sent to the worker with every request: key=value (value as JSON, else text); repeatable.", valueName: "key=value"))
    var options: [String] = []

    /// The `options` object as canonical JSON, registry options first, then `--option`s.
    func optionsJSON(base: [String: JSONValue]) throws -> String {
        var fields = base
        for pair in options {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw UsageError("--option \(pair): expected key=value, e.g. --option scheduler=euler")
            }
            let key = String(pair[..<eq]), raw = String(pair[pair.index(after: eq)...])
            fields[key] = (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw)
        }
        return JSONValue.object(fields.map { ($0.key, $0.value) }).json
    }
}

/// Options of the command generator.
struct CommandGeneratorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The argv template, run once per image without a shell: {prompt} {seed} {out} {id} {sample} {width} {height} {steps} {guidance}.", valueName: "template"))
    var argv: String?
}

/// Options of the openai-images generator.
struct OpenAIImagesGeneratorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The images API root (default https://api.openai.com/v1).", valueName: "url"))
    var imagesBaseURL: String?

    @Option(help: ArgumentHelp("The environment variable that holds the images API key (never stored or logged).", valueName: "var"))
    var imagesApiKeyEnv: String?

    @Option(help: ArgumentHelp("Image quality: low, medium, high or auto.", valueName: "q"))
    var quality: String?

    @Option(help: ArgumentHelp("At most this many image requests per minute.", valueName: "n"))
    var imagesRpm: Double?

    @Option(help: ArgumentHelp("Attempts per image request on 429, 5xx, timeouts and dropped connections.", valueName: "n"))
    var imagesRetries = 6
}

/// A generator ready to use, with what the run records and how many items it takes at once.
struct MadeGenerator {
    var generator: Generator
    /// The spec recorded on the run: the adapter's own, plus the seed rule and registry model.
    var runSpec: AdapterSpec
    var settings: GenerationSettings
    var capacity: Int
    var worker: WorkerGenerator?
}

/// Finds generator adapters by name and builds them from options and the model registry.
enum GeneratorRegistry {
    /// Builds the generator the options (and, with `model`, the registry) describe; checks everything before any work.
    static func make(model name: String?, run runName: String, options: GenerationOptions, timeout: Double,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MadeGenerator {
        let registry = try name.map { _ in try ModelRegistry.load(from: ModelRegistry.locate(environment: environment)) }
        let model = try name.map { try registry!.model(named: $0) }
        let kindName = options.generator ?? model?.adapter ?? (options.folder.images != nil ? "folder" : nil)
        guard let kindName else {
            throw UsageError("say what makes the images: --model NAME (see `wise models list`), or --generator worker|command|openai-images|folder with its options")
        }
        let kind = try GeneratorKind.named(kindName)
        let registered = model?.settings ?? GenerationSettings()
        let settings = GenerationSettings(width: options.width ?? registered.width, height: options.height ?? registered.height,
                                          steps: options.steps ?? registered.steps, guidance: options.guidance ?? registered.guidance)
        guard timeout > 0 else { throw UsageError("the generation timeout must be positive") }
        var parameters = settings.parameters
        if let model {
            parameters["registry_model"] = model.name
            parameters["model_id"] = model.modelID
            parameters["family"] = model.family
            if let dtype = model.dtype { parameters["dtype"] = dtype }
        }
        let made: MadeGenerator
        switch kind {
        case .folder:
            guard let images = options.folder.images else { throw UsageError("the folder generator needs --images DIR") }
            let generator = try FolderGenerator(directory: URL(fileURLWithPath: images, isDirectory: true))
            made = MadeGenerator(generator: generator, runSpec: generator.spec, settings: settings, capacity: 4)
        case .worker:
            let argv: [String]
            if let text = options.worker.workerCmd {
                argv = try splitCommandLine(text, option: "--worker-cmd")
            } else if let model, let registry {
                argv = registry.workerCommand(for: model)
            } else {
                throw UsageError("the worker generator needs --worker-cmd 'PROGRAM ARGS…' (or a registered --model)")
            }
            var configuration = WorkerConfiguration(argv: argv)
            if options.worker.workerCmd == nil, let model, let registry {
                configuration.recordedCommand = registry.workerCommand(for: model, resolvingPaths: false).joined(separator: " ")
            }
            if let gpus = options.worker.gpus {
                configuration.gpus = gpus.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard !configuration.gpus.isEmpty, configuration.gpus.allSatisfy({ !$0.isEmpty }) else {
                    throw UsageError("--gpus \(gpus): expected device ids separated by commas, e.g. --gpus 0,1,2,3")
                }
            }
            configuration.batch = options.worker.batch
            configuration.timeout = timeout
            configuration.startTimeout = options.worker.startTimeout
            configuration.options = try options.worker.optionsJSON(base: model?.options ?? [:])
            configuration.parameters = parameters
            configuration.logDirectory = URL(fileURLWithPath: options.worker.workerLogs ?? (options.outputDirectory(run: runName) + "/logs"), isDirectory: true)
            let generator = try WorkerGenerator(configuration)
            made = MadeGenerator(generator: generator, runSpec: generator.spec, settings: settings, capacity: generator.capacity, worker: generator)
        case .command:
            let argv: [String]
            if let text = options.command.argv {
                argv = try splitCommandLine(text, option: "--argv")
            } else if let template = model?.argv {
                argv = template
            } else {
                throw UsageError("the command generator needs --argv 'PROGRAM … {prompt} … {out}' (or a registered --model)")
            }
            let generator = try CommandGenerator(argv: argv, timeout: timeout, settings: settings, parameters: parameters)
            made = MadeGenerator(generator: generator, runSpec: generator.spec, settings: settings, capacity: options.jobs)
        case .openAIImages:
            var configuration = OpenAIImagesConfiguration()
            if let base = options.openAIImages.imagesBaseURL { configuration.baseURL = base }
            configuration.model = model?.modelID ?? "gpt-image-1"
            configuration.quality = options.openAIImages.quality
            if let variable = options.openAIImages.imagesApiKeyEnv {
                guard let value = environment[variable], !value.isEmpty else {
                    throw UsageError("--images-api-key-env \(variable): that environment variable is not set; export it or leave the option out for a server without keys")
                }
                configuration.apiKey = value
                configuration.apiKeyEnv = variable
            }
            configuration.timeout = timeout
            configuration.retry = RetryPolicy(maxAttempts: max(1, options.openAIImages.imagesRetries))
            configuration.requestsPerMinute = options.openAIImages.imagesRpm
            let generator = try OpenAIImagesGenerator(configuration, transport: HTTPTransport(options: .init()))
            made = MadeGenerator(generator: generator, runSpec: generator.spec, settings: settings, capacity: options.jobs)
        }
        var recorded = made.runSpec.parameters.merging(parameters) { mine, _ in mine }
        recorded["seed_rule"] = SeedRule(base: options.seedBase).description
        var result = made
        result.runSpec = AdapterSpec(adapter: made.runSpec.adapter, parameters: recorded)
        return result
    }
}
