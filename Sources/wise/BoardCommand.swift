import ArgumentParser
import WiseCore
import WiseHarness
import WiseReport

/// `wise board`: a whole board from one spec file: run it, plan it for a cluster, report it.
struct BoardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "Run a whole board from one spec file: every model through generate → judge, then the board report.",
        discussion: """
            A board spec is a JSON file naming the prompt sets, the models (registry names, or a generator with its options) and the judge (adapter, model, base URLs and the NAME of the variable holding the key, never the key), for example

              {"sets": ["verified"], "ids": "1-40",
               "models": [{"model": "flux.1-dev"},
                          {"model": "sd-3.5-large", "run": "sd35",
                           "options": {"gpus": "0,1"}}],
               "judge": {"adapter": "openai",
                         "model": "Qwen3.5-35B-A3B",
                         "base_urls": ["http://localhost:8000/v1"],
                         "api_key_env": "JUDGE_KEY",
                         "options": {"concurrency": 32}}}

            Fields: sets (legacy, legacy-rewrite, verified); models[].model (see `wise models list`), models[].run (default: the model's name; with several sets, RUN-SET), models[].generator, models[].options (`wise generate` options without --: text, a number, true for a flag, a list to repeat one); judge.adapter (default openai), judge.model, judge.base_urls, judge.api_key_env, judge.options (`wise judge` options); ids, limit, samples, seed_base and generate_timeout for every model.
            """,
        subcommands: [BoardRunCommand.self, BoardPlanCommand.self, BoardReportCommand.self]
    )
}

/// `wise board run`: every model of a spec through generate → judge, then the report.
struct BoardRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Make and judge every model of a board spec, each its own run, then print each set's board.",
        discussion: """
            Every generator and the judge are checked before anything runs: a bad spec names its field and runs nothing. Each model is its own run in the store; images and judgments already there are never made or sent again, so a board that was stopped or killed resumes where it stopped when run again. A model whose images failed does not stop the others; the command then ends with status 75 naming it. The report shows intervals, ranks and the official published rows.

            Examples:
              wise board run board.json --dry-run
              wise board run board.json --store results/board.sqlite
            """
    )

    @Argument(help: ArgumentHelp("The board spec (JSON; see `wise board --help`).", valueName: "spec"))
    var spec: String

    @Flag(help: "Print the images each model would make and the judge's requests; start nothing, write nothing.")
    var dryRun = false

    @OptionGroup var reportOptions: BoardReportOptions
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        var board = BoardRun(spec: try BoardSpec.load(spec), storeOptions: storeOptions)
        board.dryRun = dryRun
        board.report = reportOptions.settings
        try await board.run()
    }
}

/// `wise board plan`: each run of a spec as the arguments a cluster recipe submits.
struct BoardPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print each run of a board spec as `wise generate` and `wise judge` arguments, for a cluster recipe.",
        discussion: """
            The shell form is one line per run of assignments (RUN_NAME, SET, MODEL, GEN_ARGS, JUDGE_ARGS, IDS, LIMIT) that deploy/slurm/submit-board.sh reads; the JSON form has the same as lists. The spec is checked as `wise board run` checks it.

            Examples:
              wise board plan board.json --format json
              SHARDS=8 STORE_DIR=/shared/board deploy/slurm/submit-board.sh board.json
            """
    )

    @Argument(help: ArgumentHelp("The board spec (JSON; see `wise board --help`).", valueName: "spec"))
    var spec: String

    @Option(help: "shell or json.")
    var format: BoardPlan.Format = .shell

    func run() throws {
        let board = try BoardSpec.load(spec)
        try BoardRun(spec: board, storeOptions: StoreOptions()).check()
        Console.out(BoardPlan(spec: board).render(format))
    }
}

/// `wise board report`: the report of a board's runs in a store.
struct BoardReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print each set's board of a spec's runs: intervals, ranks and the published rows.",
        discussion: """
            What `wise board run` prints at its end, for a store made elsewhere (a cluster's merged store).

            Example:
              wise board report board.json --store board.sqlite --format md
            """
    )

    @Argument(help: ArgumentHelp("The board spec (JSON; see `wise board --help`).", valueName: "spec"))
    var spec: String

    @OptionGroup var reportOptions: BoardReportOptions
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let board = try BoardSpec.load(spec)
        try BoardReport(spec: board, settings: reportOptions.settings).write(store: try storeOptions.openReadOnly())
    }
}

/// The formats a board's report comes in: a run report's, less HTML (`wise report` draws that).
enum BoardFormat: String, CaseIterable, ExpressibleByArgument {
    case terminal, md, csv, json

    var report: ReportFormat {
        switch self {
        case .terminal: return .terminal
        case .md: return .md
        case .csv: return .csv
        case .json: return .json
        }
    }
}

/// How a board's report is drawn: format, output file and bootstrap.
struct BoardReportOptions: ParsableArguments {
    @Option(help: "terminal, md, csv or json (published rows: terminal and md); for HTML, `wise report RUN… --format html --out DIR`.")
    var format: BoardFormat = .terminal

    @Option(help: ArgumentHelp("Write the report to this file (with several sets, FILE-SET).", valueName: "file"))
    var out: String?

    @OptionGroup var studyOptions: StudyOptions

    var settings: BoardReport.Settings {
        var settings = BoardReport.Settings()
        settings.format = format.report
        settings.out = out
        settings.resamples = studyOptions.resamples
        settings.seed = studyOptions.seed
        return settings
    }
}

extension BoardPlan.Format: ExpressibleByArgument {}
