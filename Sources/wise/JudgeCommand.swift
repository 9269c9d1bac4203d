import ArgumentParser
import Foundation
import WiseCore
import WiseStore

/// `wise judge`: score a registered run's images with a judge.
struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge a registered run's images with an LLM judge over an OpenAI-compatible API.",
        discussion: """
            Every judgment is committed as it arrives. A re-run sends requests only for items without a final verdict (failed ones are retried); identical requests already answered in any run of the store are copied, not sent. Unreadable replies are kept as unscored, never scored 0.

            GPT-4o on the legacy protocol (the key is read from the variable you name):
              wise judge flux --base-url https://api.openai.com/v1 \\
                --model gpt-4o-2024-05-13 --api-key-env OPENAI_API_KEY

            Qwen3.5 on vLLM for a verified run, 128 requests at once:
              wise judge flux --base-url http://localhost:8000/v1 \\
                --model Qwen/Qwen3.5-35B-A3B --concurrency 128 \\
                --extra-body '{"chat_template_kwargs":{"enable_thinking":false}}'
            """
    )

    @Argument(help: "The run to judge (see `wise runs`).")
    var name: String

    @Option(name: .customLong("protocol"), help: "legacy or verified; must be the run's own protocol (default: the run's).")
    var scoringProtocol: ScoringProtocol?

    @Option(help: ArgumentHelp("Only these prompt ids, e.g. 1-40,401.", valueName: "ids"))
    var ids: String?

    @Option(help: ArgumentHelp("Only the first N selected prompt ids.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Only shard I of N (0 ≤ I < N) of the selected ids: the same split as `wise generate --shard`.", valueName: "I/N"))
    var shard: String?

    @OptionGroup var judgeOptions: JudgeOptions
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = try storeOptions.openExisting()
        let run = try store.requireRun(name)
        if let scoringProtocol, scoringProtocol != run.scoringProtocol {
            throw UsageError("run '\(name)' uses protocol \(run.scoringProtocol.rawValue), not \(scoringProtocol.rawValue); register the images as a new run with --protocol \(scoringProtocol.rawValue)")
        }
        let selection = PromptSelection(ids: try ids.map(PromptSelection.parseIDs), limit: limit, shard: try shard.map(Shard.parse))
        let promptIDs = selection.isAll ? nil : Set(selection.apply(to: try store.prompts(of: run.set).map(\.id)))
        try await judgeRun(run, store: store, options: judgeOptions, promptIDs: promptIDs)
    }
}
