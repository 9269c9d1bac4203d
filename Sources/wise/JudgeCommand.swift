import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise judge`: score a registered run's images with a judge.
struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge a registered run's images: an LLM judge over an OpenAI-compatible API (the official request by default), or a local CLIP judge.",
        discussion: """
            By default the judge asks exactly what the official evaluator of the run's protocol asks (its system text, template and request settings, taken from the pinned vllm_eval.py or gpt_eval.py that `wise catalogue fetch` downloads) and reads replies exactly as it does; the strict reading is stored beside it. Any override shows in the judge's identity and in reports.

            Every judgment is committed as it arrives. A re-run sends requests only for items without a final verdict (failed ones are retried); identical requests already answered in any run of the store are copied, not sent. Unreadable replies are kept as unscored, never scored 0.

            GPT-4o on the legacy protocol, as in the paper (the key is read from the variable you name):
              wise judge flux --base-url https://api.openai.com/v1 \\
                --model gpt-4o-2024-05-13 --api-key-env OPENAI_API_KEY

            Qwen3.5-35B-A3B on vLLM for a verified run (served as the official eval_qwen.sh does), 128 requests at once:
              wise judge flux --base-url http://localhost:8000/v1 \\
                --model Qwen3.5-35B-A3B --concurrency 128

            Judge 50 already-judged anchors again first, and stop on drift (κ under 0.6, a score shift over 0.05, or a served model that changes mid-run):
              wise judge flux --base-url http://localhost:8000/v1 \\
                --model Qwen3.5-35B-A3B --drift-check 50 --on-drift stop

            CLIP on this machine, no API (after `wise models fetch openai/clip-vit-large-patch14`):
              wise judge flux --judge clip --calibration clip-verified.json
            """
    )

    @Argument(help: "The run to judge (see `wise runs`).")
    var name: String

    @Argument(help: "More runs of the same board, judged adaptively with the first (needs --until, --max-judgments or --max-cost).")
    var moreRuns: [String] = []

    @Option(name: .customLong("protocol"), help: "legacy or verified; must be the run's own protocol (default: the run's).")
    var scoringProtocol: ScoringProtocol?

    @OptionGroup var selectionOptions: SelectionOptions

    @OptionGroup var judgeOptions: JudgeOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup(title: "Adaptive judging") var adaptiveOptions: AdaptiveOptions

    func validate() throws {
        if !moreRuns.isEmpty && !adaptiveOptions.isAdaptive {
            throw ValidationError("several runs are judged together only adaptively: add --until separated (or width=W, --max-judgments, --max-cost), or judge each run with its own `wise judge NAME`")
        }
    }

    func run() async throws {
        if adaptiveOptions.isAdaptive {
            return try await AdaptiveJudging.judge(runs: [name] + moreRuns, scoringProtocol: scoringProtocol, selection: selectionOptions,
                                                   options: judgeOptions, adaptive: adaptiveOptions, store: storeOptions)
        }
        try await RunJudging.judge(run: name, scoringProtocol: scoringProtocol, selection: selectionOptions,
                                   options: judgeOptions, store: storeOptions)
    }
}
