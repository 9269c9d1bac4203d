import ArgumentParser
import Foundation
import WiseCore
import WiseGenerators
import WiseReport
import WiseRunner
import WiseStore

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
              wise generate flux-dev --model flux.1-dev --set verified --shard 2/4 --store shard2.sqlite
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

    @OptionGroup var generation: GenerationOptions
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try RunSpec.validateName(name)
        let made = try GeneratorRegistry.make(model: model, run: name, options: generation, timeout: timeout)
        let store = try storeOptions.openForWriting()
        let run = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made,
                                           options: generation, store: store)
        let board = try Leaderboard([try store.summary(of: run)])
        Console.out(board.render(.terminal))
    }
}

/// Makes the missing images of a run (creating the run when new), printing what was done; shared by `generate` and `run`.
func generateImages(name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, made: MadeGenerator,
                    options: GenerationOptions, store: ResultsStore) async throws -> StoredRun {
    let catalogue = try loadCatalogue(set)
    let selection = try options.selection()
    let ids = selection.apply(to: catalogue.prompts.map(\.id))
    guard !ids.isEmpty else {
        throw UsageError("\(selection.description) selects no prompt of set \(set.rawValue); widen --ids, --limit or --shard")
    }
    let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol ?? set.defaultProtocol,
                       generator: made.runSpec, catalogueHash: catalogue.contentHash)
    // Check the run and start the workers before writing anything, so a clash or a worker that
    // will not start leaves the store as it was.
    let existing = try store.run(named: name)
    if let existing, existing.fingerprint != spec.fingerprint {
        _ = try store.beginRun(spec, catalogue: catalogue)  // throws the clash, writing nothing
    }
    let pendingCount = try existing.map { try store.pendingGenerations(run: $0, ids: ids, samples: options.samples).count }
        ?? ids.count * options.samples
    if pendingCount > 0, let worker = made.worker {
        Console.note("starting \(worker.capacity / worker.configuration.batch) worker(s): \(worker.configuration.argv.joined(separator: " "))")
        do { try await worker.start() } catch {
            await worker.finish(grace: 1)
            throw error
        }
    }
    let (run, created): (StoredRun, Bool)
    let seedRule = SeedRule(base: options.seedBase)
    do {
        (run, created) = try store.beginRun(spec, catalogue: catalogue)
        try store.recordGenerationPass(run: run, generator: made.runSpec, selection: selection, requestedIDs: ids,
                                       samples: options.samples, seedRule: seedRule)
    } catch {
        await made.worker?.finish(grace: 1)
        throw error
    }
    var runnerOptions = GenerationRunner.Options(outputDirectory: URL(fileURLWithPath: options.outputDirectory(run: name), isDirectory: true).standardizedFileURL)
    runnerOptions.samples = options.samples
    runnerOptions.seedRule = seedRule
    runnerOptions.settings = made.settings
    runnerOptions.concurrency = made.capacity
    let runner = GenerationRunner(store: store, run: run, generator: made.generator, options: runnerOptions)
    let prompts = catalogue.prompts.filter { Set(ids).contains($0.id) }
    let progress = ProgressMeter(label: "generating \(name)", interval: options.generateProgressInterval)
    let summary: GenerationRunner.Summary
    do {
        summary = try await runner.generateAll(prompts: prompts, progress: pendingCount > 0 ? progress : nil)
    } catch {
        await made.worker?.finish(grace: 1)
        throw error
    }
    await made.worker?.finish()
    Console.note("""
        run \(run.name) (\(created ? "new" : "existing"), set \(run.set.rawValue), \(made.runSpec.summary)): \
        \(selection.description), \(ids.count) prompts × \(options.samples) samples; \(summary.made) images made, \
        \(summary.alreadyMade) already made, \(summary.failed) failed in \(String(format: "%.1f", summary.seconds)) s; store \(store.path)
        """)
    for failure in summary.failures { Console.note("failed: \(failure)") }
    if summary.failed > 0 { Console.note("run the same command again to retry only the \(summary.failed) failed images") }
    if !selection.isAll { Console.note("asked for ids \(PromptSelection.ranges(ids)); the report counts the other prompts as missing") }
    return run
}
