import Foundation
import WiseCore
import WiseJudges
import WiseStore

/// What `wise run` does: register a folder of images (or generate them), then, with a judge,
/// judge them, and report: generate → judge → report.
public struct RunPipeline {
    /// The run's name.
    public var name: String
    /// The prompt set the images are (or will be) made from.
    public var set: PromptSet
    /// The judging protocol (nil: the set's own).
    public var scoringProtocol: ScoringProtocol?
    /// Refuse the folder (and write nothing) if any image is missing or unreadable.
    public var strict: Bool
    /// The judge's model when `--model` names the generator's.
    public var judgeModel: String?
    /// Seconds one image may take before its worker or command is killed.
    public var generateTimeout: Double
    /// The generator (or, with `--images`, the folder) and which prompts.
    public var generation: GenerationOptions
    /// The judge, when one is given.
    public var judgeOptions: JudgeOptions
    /// The store written to.
    public var storeOptions: StoreOptions
    /// Where the catalogue, the model registry and the judge's key are read from (the process's own by default).
    public var environment = ProcessInfo.processInfo.environment

    public init(name: String, set: PromptSet, scoringProtocol: ScoringProtocol?, strict: Bool, judgeModel: String?,
                generateTimeout: Double, generation: GenerationOptions, judgeOptions: JudgeOptions, storeOptions: StoreOptions) {
        self.name = name; self.set = set; self.scoringProtocol = scoringProtocol; self.strict = strict
        self.judgeModel = judgeModel; self.generateTimeout = generateTimeout
        self.generation = generation; self.judgeOptions = judgeOptions; self.storeOptions = storeOptions
    }

    /// Registers `--images` when given (and no generator), otherwise generates; then judges or prints the board.
    public func run() async throws {
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

    /// What `wise run --dry-run` prints with a generator: the images to make and their time, then
    /// the judge's requests and its tokens and cost (API judges) or time (local ones); nothing is
    /// started or written.
    func dryRun(_ made: PreparedGenerator, judge: MadeJudge?, judgeOptions: JudgeOptions) async throws {
        let catalogue = try CatalogueLocation.fromEnvironment(environment).load(set)
        let estimate = try GenerationEstimate(name: name, set: set, made: made, options: generation,
                                              store: try storeOptions.openIfPresent(), catalogue: catalogue)
        for line in estimate.lines(run: name) { Console.out(line + "\n") }
        guard let judge else { return }
        let requests = estimate.images * judgeOptions.repeats
        let workload = JudgeWorkload(requests: requests, samplePrompt: catalogue.prompts.first, meanImageBytes: estimate.meanImageBytes ?? 0)
        Console.out("judging: \(requests) requests for the new images" + (await estimateText(judge.judge, workload, prices: judgeOptions.prices)) + "\n")
    }

    /// Generates the run's images with the generator `--model` (or `--generator`) names, then judges and reports.
    ///
    /// Failed images do not stop the judge: what was made is judged, then the command ends with
    /// the generation's `.incomplete` error. A judge error that stops for a reason of its own
    /// (usage, credentials, an unreachable server, a signal) wins; one that only reflects the
    /// missing images (none usable, items left) is folded into the generation's message.
    func generateAndJudge() async throws {
        var judgeOptions = self.judgeOptions
        let generatorModel = judgeOptions.adapters.openai.model
        judgeOptions.adapters.openai.model = judgeModel
        // Build the generator and the judge (checking their options) before anything is written.
        let made = try generation.makeGenerator(model: generatorModel, run: name, timeout: generateTimeout,
                                                environment: environment, dryRun: judgeOptions.dryRun)
        let judge = try judgeOptions.judge.map { _ in
            try judgeOptions.makeJudge(scoringProtocol: scoringProtocol ?? set.defaultProtocol, environment: environment)
        }
        if judgeOptions.dryRun { return try await dryRun(made, judge: judge, judgeOptions: judgeOptions) }
        let store = try storeOptions.openForWriting()
        let outcome = try await generateImages(name: name, set: set, scoringProtocol: scoringProtocol, made: made, options: generation,
                                               store: store, catalogue: try CatalogueLocation.fromEnvironment(environment).load(set))
        let run = outcome.run
        guard let judge else {
            try printBoard(run, store: store)
            if let incomplete = outcome.incomplete { throw incomplete }
            return
        }
        let promptIDs = try generation.selectionOptions.promptIDs(among: try store.prompts(of: run.set).map(\.id))
        guard let incomplete = outcome.incomplete else {
            return try await judgeRun(run, store: store, options: judgeOptions, made: judge, promptIDs: promptIDs)
        }
        do {
            try await judgeRun(run, store: store, options: judgeOptions, made: judge, promptIDs: promptIDs)
        } catch let error as WiseError where [.badData, .missingInput, .incomplete].contains(error.kind) {
            throw OutcomeError("\(incomplete.message); judging: \(error)", kind: .incomplete)
        }
        throw incomplete
    }
}
