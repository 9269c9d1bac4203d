import ArgumentParser
import Foundation
import WiseCore
import WiseGenerators
import WiseOptions

/// What to generate: prompts, samples, seeds and settings; shared by `wise generate` and `wise run`.
public struct GenerationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The generator adapter: \(GeneratorAdapters.names.joined(separator: ", ")) (default: the registered model's).", valueName: "name"))
    public var generator: String?

    @Option(help: ArgumentHelp("Images per prompt (each with its own seed); judges and reports average over them.", valueName: "n"))
    public var samples = 1

    @Option(help: ArgumentHelp("The base seed: an image's seed is base + prompt id + 1000 × sample index.", valueName: "n"))
    public var seedBase = 0

    @OptionGroup public var selectionOptions: SelectionOptions

    @Option(help: ArgumentHelp("Where images are written (default results/images/NAME): {id}.png, {id}_s{sample}.png.", valueName: "dir"))
    public var out: String?

    @Option(help: "Image width in pixels (default: the model's).")
    public var width: Int?
    @Option(help: "Image height in pixels (default: the model's).")
    public var height: Int?
    @Option(help: "Denoising steps (default: the model's).")
    public var steps: Int?
    @Option(help: "Guidance scale (default: the model's).")
    public var guidance: Double?

    @Option(help: ArgumentHelp("Images in flight at once for the command and openai-images generators (workers: --gpus × --batch).", valueName: "n"))
    public var jobs = 4

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    public var generateProgressInterval = 5.0

    @OptionGroup public var adapters: GeneratorAdapters

    public init() {}

    public func validate() throws {
        try checkRange("--samples", samples, 1...100)
        try checkRange("--jobs", jobs, 1...256)
    }

    /// Where the images of a run go: `--out`, else results/images/NAME.
    public func outputDirectory(run name: String) -> String { out ?? "results/images/\(name)" }

    /// The prompt selection the options name.
    public func selection() throws -> PromptSelection { try selectionOptions.selection() }

    /// Builds the generator the options (and, with `model`, the registry) describe; checks everything before any work.
    public func makeGenerator(model name: String?, run runName: String, timeout: Double,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              dryRun: Bool = false) throws -> PreparedGenerator {
        let registry = try name.map { _ in try ModelRegistry.load(from: ModelRegistry.locate(environment: environment), adapters: GeneratorAdapters.names) }
        let model = try name.map { try registry!.model(named: $0) }
        guard let adapterName = generator ?? model?.adapter ?? (adapters.folder.images != nil ? "folder" : nil) else {
            throw UsageError("say what makes the images: --model NAME (see `wise models list`), or --generator \(GeneratorAdapters.names.joined(separator: "|")) with its options")
        }
        let factory = try adapters.registry.factory(named: adapterName)
        guard timeout > 0, timeout.isFinite else { throw UsageError("the generation timeout must be a positive number of seconds") }
        let registered = model?.settings ?? GenerationSettings()
        let settings = GenerationSettings(width: width ?? registered.width, height: height ?? registered.height,
                                          steps: steps ?? registered.steps, guidance: guidance ?? registered.guidance)
        var context = GeneratorContext(model: model, registry: registry, settings: settings, outputDirectory: outputDirectory(run: runName),
                                       timeout: timeout, jobs: jobs, environment: environment)
        context.dryRun = dryRun
        return PreparedGenerator(try factory.makeGenerator(context), context: context, seedBase: seedBase)
    }
}

/// A generator ready for a run, with what the run records.
public struct PreparedGenerator: Sendable {
    public var generator: Generator
    /// The spec recorded on the run: the adapter's own, plus the settings, seed rule and registry model.
    public var runSpec: AdapterSpec
    public var settings: GenerationSettings
    public var capacity: Int

    /// A made generator with what its run records: its own spec, the context's settings and
    /// registry model, and the seed rule.
    public init(_ made: MadeGenerator, context: GeneratorContext, seedBase: Int) {
        var recorded = made.generator.spec.parameters.merging(context.parameters) { mine, _ in mine }
        recorded["seed_rule"] = SeedRule(base: seedBase).description
        generator = RefusalCheckingGenerator(base: made.generator)
        runSpec = AdapterSpec(adapter: made.generator.spec.adapter, parameters: recorded)
        settings = context.settings
        capacity = made.capacity
    }
}

/// `--ids`, `--limit` and `--shard`: which prompt ids a command works on; shared by generate, run and judge.
public struct SelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only these prompt ids, e.g. 1-40,401.", valueName: "ids"))
    public var ids: String?

    @Option(help: ArgumentHelp("Only the first N selected prompt ids (a quick smoke run).", valueName: "n"))
    public var limit: Int?

    @Option(help: ArgumentHelp("Only shard I of N (0 ≤ I < N) of the selected ids, split round-robin; the same split on generate and judge (judge without --ids: what generate made for shard I/N).", valueName: "I/N"))
    public var shard: String?

    public init() {}

    public func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// The prompt selection the options name.
    public func selection() throws -> PromptSelection {
        PromptSelection(ids: try ids.map(PromptSelection.parseIDs), limit: limit, shard: try shard.map(Shard.parse))
    }

    /// The selected ids of a set as a filter, or nil when every id is selected.
    public func promptIDs(among all: [Int]) throws -> Set<Int>? {
        let selection = try selection()
        return selection.isAll ? nil : Set(selection.apply(to: all))
    }
}
