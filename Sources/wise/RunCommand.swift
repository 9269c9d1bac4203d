import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

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
                --judge openai --base-url http://localhost:8000/v1 \\
                --judge-model Qwen3.5-35B-A3B

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
        try await RunPipeline(name: name, set: set, scoringProtocol: scoringProtocol, strict: strict, judgeModel: judgeModel,
                              generateTimeout: generateTimeout, generation: generation, judgeOptions: judgeOptions,
                              storeOptions: storeOptions).run()
    }
}
