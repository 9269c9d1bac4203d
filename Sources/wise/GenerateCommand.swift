import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise generate`: make a run's images with a registered model or any generator adapter.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Make a run's images with a registered model, a worker process, a command or an image API.",
        discussion: """
            Each image is hashed and committed as it is made; an image already made is never made again, so a killed run resumes where it stopped and a failed image is retried on the next run. Only a prompt's text (the catalogue's Prompt field) reaches the generator, never its explanation. Seeds are base + prompt id + 1000 × sample (--seed-base).

            A registered model (see `wise models list`), on four GPUs:
              wise generate flux-dev --model flux.1-dev --set verified --gpus 0,1,2,3

            Any worker that speaks the protocol in the README, a smoke run of 40 ids:
              wise generate mine --set legacy --generator worker \\
                --worker-cmd 'python3 my_worker.py --model /models/mine' --ids 1-40

            A model that ships only a script, one process per image:
              wise generate bagel --set legacy --generator command \\
                --argv 'python3 infer.py --prompt {prompt} --seed {seed} --out {out}'

            Shard 2 of 4 of a cluster job (merge the stores with `wise merge`):
              wise generate flux-dev --model flux.1-dev --set verified \\
                --shard 2/4 --store shard2.sqlite
            """
    )

    @Argument(help: "A name for the run (letters, digits, '.', '_', '-').")
    var name: String

    @Option(help: "The prompt set: legacy, legacy-rewrite or verified.")
    var set: PromptSet

    @Option(help: ArgumentHelp("A registered model (see `wise models list`).", valueName: "name"))
    var model: String?

    @Option(name: .customLong("protocol"), help: "The judging protocol (default: the set's own).")
    var scoringProtocol: ScoringProtocol?

    @Option(help: ArgumentHelp("Seconds one image may take, from when its request is sent (with --batch K, allow for K images), before its worker or command is killed.", valueName: "seconds"))
    var timeout = 600.0

    @Flag(help: "Print how many images would be made and, from the seconds per image this generator took before in the store, the time and GPU-hours; start nothing, write nothing, need no key.")
    var dryRun = false

    @OptionGroup var generation: GenerationOptions
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await RunJudging.generate(run: name, set: set, scoringProtocol: scoringProtocol, model: model,
                                      timeout: timeout, options: generation, store: storeOptions, dryRun: dryRun)
    }
}
