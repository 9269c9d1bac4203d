import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseStore

/// `wise run`: register a folder of generated images as a run.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Make or register a run's images, then (with --judge) judge them and report: generate → judge → report.",
        discussion: """
            Each image is hashed and recorded as it is found; a missing or unreadable image is listed and counted as missing. Running the same command again does nothing new, and fills in images that were missing before. Formats are recognised by content (PNG, JPEG, WebP).

            Register a folder:
              wise run flux-dev --set verified --images out/flux-dev

            Generate with a registered model, judge and report in one go (--model names the generator's model, --judge-model the judge's; with --images, where there is no generator, --model is also read as the judge's):
              wise run flux-dev --model flux.1-dev --set verified \\
                --judge openai --base-url http://localhost:8000/v1 --judge-model Qwen/Qwen3.5-35B-A3B

            Register and judge it in one go:
              wise run flux-dev --set verified --images out/flux-dev \\
                --judge openai --base-url http://localhost:8000/v1 \\
                --model Qwen3.5-35B-A3B --concurrency 64
            """
    )

    @Argument(help: "A name for the run (letters, digits, '.', '_', '-').")
    var name: String

    @Option(help: "The prompt set the images were made from: legacy, legacy-rewrite or verified.")
    var set: PromptSet

    @Option(name: .customLong("protocol"), help: "The judging protocol (default: the set's own: legacy for legacy sets, verified for verified).")
    var scoringProtocol: ScoringProtocol?

    @Flag(help: "Refuse the folder (and write nothing) if any image is missing or unreadable.")
    var strict = false

    @Option(help: ArgumentHelp("The judge's model when --model names the generator's (runs without --images).", valueName: "name"))
    var judgeModel: String?

    @Option(help: ArgumentHelp("Seconds one image may take before its worker or command is killed.", valueName: "seconds"))
    var generateTimeout = 600.0

    @OptionGroup(title: "Generation (without --images: --model NAME or --generator …)")
    var generation: GenerationOptions

    @OptionGroup(title: "Judging (optional: give --judge to judge the images after registering them)")
    var judgeOptions: JudgeOptions

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try RunSpec.validateName(name)
        guard let images = generation.adapters.folder.images, generation.generator == nil else {
            try await generateAndJudge()
            return
        }
        let registration = FolderRegistration(name: name, set: set, scoringProtocol: scoringProtocol, images: images, strict: strict)
        let catalogue = try loadCatalogue(set)
        let scan = try registration.scan(catalogue)
        // Make the judge (checking its options) before anything is written.
        let judgeOptions = try judgeOptionsForFolder()
        let judge = try judgeOptions.judge.map { _ in try judgeOptions.makeJudge(scoringProtocol: registration.scoringProtocol) }
        if judgeOptions.dryRun {
            let requests = scan.usable.count * judgeOptions.repeats
            Console.out("dry run: \(scan.usable.count) usable images, \(scan.problems.count) missing; at most \(requests) requests would be sent (fewer where the store already holds the answer); nothing was registered\n")
            return
        }
        let store = try storeOptions.openForWriting()
        let run = try registration.record(scan, catalogue: catalogue, in: store)
        if let judge { return try await judgeRun(run, store: store, options: judgeOptions, made: judge) }
        try printBoard(run, store: store)
    }

    /// The judge options with --judge-model as the judge's model; with --images, --model is accepted for it too.
    func judgeOptionsForFolder() throws -> JudgeOptions {
        var options = judgeOptions
        if let judgeModel {
            if let model = options.adapters.openai.model, model != judgeModel {
                throw UsageError("--model \(model) and --judge-model \(judgeModel): with --images there is no generator to name; give the judge's model once, with --judge-model")
            }
            options.adapters.openai.model = judgeModel
        }
        return options
    }

    /// Generates the run's images with the generator `--model` (or `--generator`) names, then judges and reports.
    func generateAndJudge() async throws {
        var judgeOptions = self.judgeOptions
        let generatorModel = judgeOptions.adapters.openai.model
        judgeOptions.adapters.openai.model = judgeModel
        // Build the generator and the judge (checking their options) before anything is written.
        let made = try generation.makeGenerator(model: generatorModel, run: name, timeout: generateTimeout)
        let judge = try judgeOptions.judge.map { _ in try judgeOptions.makeJudge(scoringProtocol: scoringProtocol ?? set.defaultProtocol) }
        let store = try storeOptions.openForWriting()
        let run = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made,
                                           options: generation, store: store)
        guard let judge else { return try printBoard(run, store: store) }
        let promptIDs = try generation.selectionOptions.promptIDs(among: try store.prompts(of: run.set).map(\.id))
        try await judgeRun(run, store: store, options: judgeOptions, made: judge, promptIDs: promptIDs)
    }
}
