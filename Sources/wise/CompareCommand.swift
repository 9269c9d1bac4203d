import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseReport
import WiseStore

/// `wise compare ORIGINAL REWRITE`: two runs on the same prompt ids, item by item.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs on the same prompt ids: differences per category with paired bootstrap intervals, Wilcoxon and McNemar.",
        discussion: """
            Laid out like the WISE paper's rewrite table. `legacy` and `legacy-rewrite` share prompt ids and may be compared; rewritten prompts exist for the legacy set only. Only items both runs scored are paired.

            Examples:
              wise compare flux-legacy flux-rewrite
              wise compare flux-dev sd35 --format json --seed 7
            """
    )

    @Argument(help: "The original run (the baseline).")
    var original: String

    @Argument(help: "The rewritten-prompt run (or any other run on the same ids).")
    var rewrite: String

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: "Decimals in terminal output (default 2 for legacy, 4 for verified).")
    var decimals: Int?

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @OptionGroup var studyOptions: StudyOptions

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openExisting()
        let a = try store.studyRun(original, judgeKey: judge), b = try store.studyRun(rewrite, judgeKey: judge)
        let integers = try [a, b].map { try store.firstIntegerScores($0) }
        let comparison = try Comparison(original: a, rewrite: b, integers: integers, prompts: try store.prompts(of: a.summary.set),
                                        resamples: studyOptions.resamples, seed: studyOptions.seed)
        try emit(format == .json ? comparison.renderJSON() : comparison.renderTerminal(decimals: decimals), to: out)
    }
}

/// The output formats of the studies.
enum StudyFormat: String, CaseIterable, ExpressibleByArgument {
    case terminal, json
}

extension ResultsStore {
    /// Each item's integer score (7c + 2r + a, or the 0/1 score) from its first scored repeat.
    func firstIntegerScores(_ study: StudyRun) throws -> [Int: Int] {
        guard let judge = study.summary.judge else { return [:] }
        var out: [Int: Int] = [:]
        for j in try studyJudgments(of: try requireRun(study.name), judge: judge) where j.status == .ok && out[j.promptID] == nil {
            if let scores = j.scores, let value = Comparison.integerScore(scores, study.summary.scoringProtocol) { out[j.promptID] = value }
        }
        return out
    }
}
