import ArgumentParser
import Foundation
import WiseCore
import WiseOptions

/// Options of the `worker` generator: long-lived processes speaking the JSON-lines worker protocol.
public struct WorkerGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "worker"
    public static let summary = "worker processes that load a model once and speak the JSON-lines worker protocol (diffusers, transformers, your own)"

    @Option(help: ArgumentHelp("The worker command, split like a shell would but run without one, e.g. 'python3 workers/diffusers_worker.py --model ID'.", valueName: "command"))
    public var workerCmd: String?

    @Option(help: ArgumentHelp("The Python that runs a registered model's worker in place of its command's python3 (default: the registry's venv, else python3): for models whose own repositories pin other libraries (BAGEL, Show-o, UniWorld, MetaQuery, BLIP3-o; see workers/README.md).", valueName: "path"))
    public var workerPython: String?

    @Option(help: ArgumentHelp("One worker per GPU, each with CUDA_VISIBLE_DEVICES set: 0,1,2,3.", valueName: "ids"))
    public var gpus: String?

    /// The `--gpus` ids as given, one worker each (empty without the option).
    public var gpuList: [String] {
        gpus.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    }

    @Option(help: ArgumentHelp("Requests in flight per worker.", valueName: "k"))
    public var batch = 1

    @Option(help: ArgumentHelp("Seconds a worker may take to load its model and print its ready line.", valueName: "seconds"))
    public var startTimeout = 1800.0

    @Option(help: ArgumentHelp("A folder for each worker's stderr, worker-0.log … (default: logs/ beside the images).", valueName: "dir"))
    public var workerLogs: String?

    @Option(name: .customLong("option"), help: ArgumentHelp("An option sent to the worker with every request: key=value (value as JSON, else text); repeatable.", valueName: "key=value"))
    public var options: [String] = []

    public init() {}

    public func validate() throws {
        try checkRange("--batch", batch, 1...64)
        try checkRange("--start-timeout", startTimeout, 0.001...86_400 * 7)
        if workerPython != nil && workerCmd != nil {
            throw ValidationError("--worker-python replaces a registered model's python3; with --worker-cmd, name the Python in the command itself")
        }
    }

    /// The `options` object as canonical JSON, registry options first, then `--option`s.
    public func optionsJSON(base: [String: JSONValue]) throws -> String {
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

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        var configuration = WorkerConfiguration(argv: try command(context))
        if workerCmd == nil, let model = context.model, let registry = context.registry {
            configuration.recordedCommand = registry.workerCommand(for: model, resolvingPaths: false).joined(separator: " ")
        }
        if let gpus {
            configuration.gpus = gpuList
            guard !configuration.gpus.isEmpty, configuration.gpus.allSatisfy({ !$0.isEmpty }) else {
                throw UsageError("--gpus \(gpus): expected device ids separated by commas, e.g. --gpus 0,1,2,3")
            }
        }
        configuration.batch = batch
        configuration.timeout = context.timeout
        configuration.startTimeout = startTimeout
        configuration.options = try optionsJSON(base: context.model?.options ?? [:])
        configuration.parameters = context.parameters
        configuration.logDirectory = URL(fileURLWithPath: workerLogs ?? (context.outputDirectory + "/logs"), isDirectory: true)
        let generator = try WorkerGenerator(configuration)
        return MadeGenerator(generator: generator, capacity: generator.capacity)
    }

    /// The worker's argv: `--worker-cmd`, else the registered model's worker.
    func command(_ context: GeneratorContext) throws -> [String] {
        if let workerCmd { return try splitCommandLine(workerCmd, option: "--worker-cmd") }
        if let model = context.model, let registry = context.registry {
            var argv = registry.workerCommand(for: model)
            if let workerPython {
                guard FileManager.default.isExecutableFile(atPath: workerPython) else {
                    throw UsageError("--worker-python \(workerPython): no executable file there; give the path of a Python, e.g. ~/venvs/bagel/bin/python")
                }
                guard registry.workerCommand(for: model, resolvingPaths: false).first == "python3", !argv.isEmpty else {
                    throw UsageError("--worker-python: model '\(model.name)''s worker command does not start with python3; use --worker-cmd to give the whole command")
                }
                argv[0] = workerPython
            }
            return argv
        }
        if workerPython != nil {
            throw UsageError("--worker-python applies to a registered --model's worker; with --worker-cmd, name the Python in the command itself")
        }
        throw UsageError("the worker generator needs --worker-cmd 'PROGRAM ARGS…' (or a registered --model)")
    }
}
