import Foundation
import WiseCore
import WiseReport
import WiseStore

/// What `wise board run` does: every model of a board spec through generate → judge, each its own
/// run, then the board report of each set; a second call resumes where the first stopped.
///
/// Every model's generator and the judge are built (their options checked, their registry names
/// found) before anything is written, so a bad spec runs nothing. Then each run is made and judged
/// in the spec's order, as `wise run NAME --model M --judge …` would: the store never makes an
/// image or sends a judgment twice, so a board that was killed, or that stopped on failed
/// images, picks up where it stopped when run again.
public struct BoardRun {
    /// The board.
    public var spec: BoardSpec
    /// The store every run is written to.
    public var storeOptions: StoreOptions
    /// Say what would be made and sent, start and write nothing.
    public var dryRun = false
    /// How the closing report is drawn.
    public var report = BoardReport.Settings()
    /// Where the catalogue, the model registry and the judge's key are read from.
    public var environment = ProcessInfo.processInfo.environment

    public init(spec: BoardSpec, storeOptions: StoreOptions) {
        self.spec = spec
        self.storeOptions = storeOptions
    }

    /// The pipeline of one run: the model's generator and the board's judge.
    func pipeline(_ run: BoardSpec.Run) throws -> RunPipeline {
        var judgeOptions = try spec.judgeOptions(dryRun: dryRun)
        // `wise run` reads --model as the generator's and --judge-model as the judge's.
        let judgeModel = judgeOptions.adapters.openai.model
        judgeOptions.adapters.openai.model = run.entry.model
        var pipeline = RunPipeline(name: run.name, set: run.set, scoringProtocol: nil, strict: false, judgeModel: judgeModel,
                                   generateTimeout: spec.generateTimeout, generation: try spec.generationOptions(run.entry),
                                   judgeOptions: judgeOptions, storeOptions: storeOptions)
        pipeline.environment = environment
        return pipeline
    }

    /// Builds every generator and the judge of each set's protocol, and loads each set's
    /// catalogue, without starting or writing anything; the first problem names its model.
    public func check() throws {
        let location = try CatalogueLocation.fromEnvironment(environment)
        for set in spec.sets { _ = try location.load(set) }
        let judgeOptions = try spec.judgeOptions(dryRun: true)
        for scoringProtocol in Set(spec.sets.map(\.defaultProtocol)) {
            do { _ = try judgeOptions.makeJudge(scoringProtocol: scoringProtocol, environment: environment) } catch let error as WiseError {
                throw OutcomeError("board spec \(spec.path): judge: \(error.description)", kind: error.kind)
            }
        }
        for run in spec.runs {
            let index = spec.entries.firstIndex(of: run.entry)!
            do {
                _ = try spec.generationOptions(run.entry).makeGenerator(model: run.entry.model, run: run.name, timeout: spec.generateTimeout,
                                                                        environment: environment, dryRun: true)
            } catch let error as WiseError {
                throw OutcomeError("board spec \(spec.path): models[\(index)] (run \(run.name)): \(error.description)", kind: error.kind)
            }
        }
    }

    /// Runs (or, with `dryRun`, estimates) every model, then prints each set's board.
    ///
    /// A run with failed images does not stop the board: the others are made and judged, the
    /// report is drawn, and the command ends `.incomplete` naming them. Any other error (a judge
    /// that cannot be reached, a signal) stops at once; run the same command again to resume.
    public func run() async throws {
        try check()
        let runs = spec.runs
        var incomplete: [String] = []
        for (i, run) in runs.enumerated() {
            let pipeline = try pipeline(run)
            Console.note("board: \(i + 1) of \(runs.count): run \(run.name) (\(run.entry.model.map { "model \($0)" } ?? "generator \(run.entry.generateArguments[1])"), set \(run.set.rawValue))")
            do {
                try await pipeline.generateAndJudge()
            } catch let error as WiseError where error.kind == .incomplete {
                Console.note("board: run \(run.name) is incomplete: \(error.description)")
                incomplete.append(run.name)
            } catch let error as WiseError {
                throw OutcomeError("board: run \(run.name): \(error.description)", kind: error.kind)
            }
        }
        if dryRun { return }
        do {
            try BoardReport(spec: spec, settings: report, environment: environment).write(store: try storeOptions.openReadOnly())
        } catch let error as WiseError where error.kind == .missingInput && !incomplete.isEmpty {
            // Nothing judged because every run failed: the runs' failures say more than an empty board.
        }
        if !incomplete.isEmpty {
            throw OutcomeError("board: \(incomplete.count) of \(runs.count) runs are incomplete (\(incomplete.joined(separator: ", "))); run the same command again to retry only what failed",
                               kind: .incomplete)
        }
    }
}

/// The closing report of a board: for each set, its runs side by side with intervals and ranks,
/// and the official published rows when the catalogue has that board.
public struct BoardReport {
    /// How the boards are drawn.
    public struct Settings: Sendable {
        public var format: ReportFormat = .terminal
        public var resamples = 10_000
        public var seed: UInt64 = 1
        public var out: String?
        public init() {}
    }

    public var spec: BoardSpec
    public var settings: Settings
    public var environment: [String: String]

    public init(spec: BoardSpec, settings: Settings, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.spec = spec; self.settings = settings; self.environment = environment
    }

    /// Writes each set's board (to stdout, or `out`; several sets append `-SET` before its extension).
    public func write(store: ResultsStore) throws {
        if let out = settings.out { try refuseStoreFiles(out, option: "--out", store: store.path) }
        let location = try CatalogueLocation.fromEnvironment(environment)
        var drawn = 0
        for set in spec.sets {
            let names = spec.runs.filter { $0.set == set }.map(\.name)
            // A run the board has not judged yet (killed before, or every image failed) is named, not drawn.
            let present = try names.filter { name in try store.run(named: name).map { try !store.judges(of: $0).isEmpty } ?? false }
            guard !present.isEmpty else {
                Console.note("board: no run of set \(set.rawValue) is judged in \(store.path) yet")
                continue
            }
            if present.count < names.count {
                Console.note("board: \(names.count - present.count) runs of set \(set.rawValue) are not judged in the store yet, left off the board: \(names.filter { !present.contains($0) }.joined(separator: ", "))")
            }
            var report = try RunReport(store: store, runs: present, judgeKey: nil)
            report.environment = environment
            let withPublished = [.terminal, .md].contains(settings.format)
            report.withPublished = withPublished && (try? location.publishedBoard(for: set.defaultProtocol)) != nil
            if withPublished && !report.withPublished { Console.note("board: the catalogue has no published \(set.defaultProtocol.rawValue) board; its rows are left out") }
            if settings.out == nil && spec.sets.count > 1 { Console.out("\nset \(set.rawValue):\n") }
            let prices = try spec.judgeOptions().prices
            try report.writeBoard(format: settings.format, decimals: nil, prices: prices, resamples: settings.resamples, seed: settings.seed,
                                  allowMixed: false, out: settings.out.map { spec.sets.count > 1 ? Self.suffixed($0, set.rawValue) : $0 })
            drawn += 1
        }
        guard drawn > 0 else {
            throw OutcomeError("no run of board \(spec.path) is judged in \(store.path); run `wise board run \(spec.path)` (or merge the cluster's stores) first", kind: .missingInput)
        }
    }

    /// `board.md` → `board-verified.md`.
    static func suffixed(_ path: String, _ suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? "\(base)-\(suffix)" : "\(base)-\(suffix).\(ext)"
    }
}
