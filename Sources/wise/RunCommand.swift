import ArgumentParser
import Foundation
import WiseCore
import WiseReport
import WiseRunner
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
        guard let images = generation.folder.images, generation.generator == nil else {
            try await generateAndJudge()
            return
        }
        let catalogue = try loadCatalogue(set)
        let folder = ImageFolder(directory: URL(fileURLWithPath: images, isDirectory: true).standardizedFileURL)
        // A progress bar while images are read and hashed, on a terminal only (logs get the summary line).
        let meter = isatty(STDERR_FILENO) == 1 ? ProgressMeter(label: "registering \(name)", interactive: true) : nil
        meter?.start(total: catalogue.prompts.count)
        let scan = try folder.scan(ids: catalogue.prompts.map(\.id)) { meter?.update(done: $0, failed: 0, unscored: 0) }
        meter?.finish()
        guard !scan.usable.isEmpty else {
            throw DataError("no usable image in \(folder.directory.path) for set \(set.rawValue): expected files named 1.png … 1000.png (or .jpg, .jpeg, .webp)")
        }
        if strict, let first = scan.problems.first {
            throw DataError("--strict: \(scan.problems.count) of \(scan.entries.count) images are missing or unreadable, first prompt \(first.promptID): \(first.problem!); nothing was written")
        }
        // Make the judge (checking its options) before anything is written. --judge-model names the
        // judge's model in every form of `wise run`; with --images, --model is accepted for it too.
        var judgeOptions = self.judgeOptions
        if let judgeModel {
            if let model = judgeOptions.openai.model, model != judgeModel {
                throw UsageError("--model \(model) and --judge-model \(judgeModel): with --images there is no generator to name; give the judge's model once, with --judge-model")
            }
            judgeOptions.openai.model = judgeModel
        }
        let judge = try judgeOptions.judge.map { _ in try JudgeRegistry.make(judgeOptions, scoringProtocol: scoringProtocol ?? set.defaultProtocol) }
        if judgeOptions.dryRun {
            let requests = scan.usable.count * judgeOptions.repeats
            Console.out("dry run: \(scan.usable.count) usable images, \(scan.problems.count) missing; at most \(requests) requests would be sent (fewer where the store already holds the answer); nothing was registered\n")
            return
        }
        let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol ?? set.defaultProtocol,
                           generator: AdapterSpec(adapter: "folder", parameters: ["path": folder.directory.path]),
                           catalogueHash: catalogue.contentHash)
        let store = try storeOptions.openForWriting()
        try store.checkImages(run: name, records: scan.entries)
        let (run, created) = try store.beginRun(spec, catalogue: catalogue)
        let registration = try store.registerImages(run: run, records: scan.entries)

        reportProblems(scan)
        Console.note("""
            run \(run.name) (\(created ? "new" : "existing"), set \(run.set.rawValue), protocol \(run.scoringProtocol.rawValue)): \
            \(registration.added) images added, \(registration.repaired) filled in, \(registration.unchanged) already recorded, \
            \(registration.missing) missing; store \(store.path)
            """)
        if let judge {
            try await judgeRun(run, store: store, options: judgeOptions, made: judge)
            return
        }
        let board = try Leaderboard([try store.summary(of: run)])
        Console.out(board.render(.terminal))
    }

    /// Generates the run's images with the generator `--model` (or `--generator`) names, then judges and reports.
    func generateAndJudge() async throws {
        var judgeOptions = self.judgeOptions
        let generatorModel = judgeOptions.openai.model
        judgeOptions.openai.model = judgeModel
        // Build the generator and the judge (checking their options) before anything is written.
        let made = try GeneratorRegistry.make(model: generatorModel, run: name, options: generation, timeout: generateTimeout)
        let judge = try judgeOptions.judge.map { _ in try JudgeRegistry.make(judgeOptions, scoringProtocol: scoringProtocol ?? set.defaultProtocol) }
        let store = try storeOptions.openForWriting()
        let run = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made,
                                           options: generation, store: store)
        if let judge {
            let promptIDs = try generation.selectionOptions.promptIDs(among: try store.prompts(of: run.set).map(\.id))
            try await judgeRun(run, store: store, options: judgeOptions, made: judge, promptIDs: promptIDs)
            return
        }
        let board = try Leaderboard([try store.summary(of: run)])
        Console.out(board.render(.terminal))
    }

    /// Lists every missing or unreadable image: ids with no file as ranges, others one per line.
    func reportProblems(_ scan: ImageFolder.Scan) {
        let absent = scan.problems.filter { $0.path == nil }.map(\.promptID)
        if !absent.isEmpty { Console.note("missing (\(absent.count), no file): \(idRanges(absent))") }
        for entry in scan.problems where entry.path != nil {
            Console.note("unreadable, counted as missing: prompt \(entry.promptID): \(entry.problem!)")
        }
        if !scan.ignored.isEmpty {
            Console.note("ignored \(scan.ignored.count) files that match no prompt id: \(scan.ignored.prefix(5).joined(separator: ", "))\(scan.ignored.count > 5 ? ", …" : "")")
        }
    }
}
