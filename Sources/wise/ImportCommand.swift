import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseReport
import WiseStore

/// `wise import`: read the score files of the official evaluators as a run.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the JSONL score files that the official gpt_eval.py / vllm_eval.py wrote.",
        discussion: """
            Pass the *_scores_results.jsonl files (one per domain) and, optionally, the matching *_full_results.json files, whose raw judge text is kept too. The whole import is checked first: a malformed line or a prompt_id given twice is reported as file:line and nothing is kept. A score of 999 (the evaluator gave up) is recorded as a failed judgment, not as a score.

            Example:
              wise import gpt4o-flux --set legacy --protocol legacy \\
                Results/*_results.jsonl Results/*_full_results.json
            """
    )

    @Argument(help: "A name for the run.")
    var name: String

    @Option(help: "The prompt set the scores belong to: legacy, legacy-rewrite or verified.")
    var set: PromptSet

    @Option(name: .customLong("protocol"), help: "The protocol of the files: legacy (consistency, realism, aesthetic_quality) or verified (score).")
    var scoringProtocol: ScoringProtocol

    @Argument(help: ArgumentHelp("Score files (.jsonl) and optional full-results files (.json).", valueName: "file"))
    var files: [String]

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("pass at least one scores file (.jsonl)") }
    }

    func run() async throws {
        try RunSpec.validateName(name)
        let catalogue = try loadCatalogue(set)
        let urls = files.map { URL(fileURLWithPath: $0) }
        let records = try ScoreFile.read(urls, scoringProtocol: scoringProtocol, catalogue: catalogue)
        let content = ScoreFile.contentHash(records)
        let judge = AdapterSpec(adapter: "import", parameters: [
            "files": urls.map(\.lastPathComponent).sorted().joined(separator: ","),
            "content": String(content.prefix(16)),
        ])
        let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol,
                           generator: AdapterSpec(adapter: "import", parameters: ["content": String(content.prefix(16))]),
                           catalogueHash: catalogue.contentHash)
        let store = try storeOptions.openForWriting()
        let result = try store.importScores(spec, catalogue: catalogue, judge: judge, records: records)
        if result.created {
            Console.note("imported \(result.scored) scored and \(result.failed) failed judgments as run \(name) (set \(set.rawValue), protocol \(scoringProtocol.rawValue)); store \(store.path)")
        } else {
            Console.note("run \(name) already holds exactly these scores; nothing new was written")
        }
        let board = try Leaderboard([try store.summary(of: result.run)])
        Console.out(board.render(.terminal))
    }
}
