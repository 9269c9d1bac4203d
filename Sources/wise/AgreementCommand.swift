import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseReport
import WiseStore

/// `wise agreement RUN… --judges A,B`: how far two judges agree on the same images.
struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Compare two judges on the same images: Cohen's κ, Krippendorff's α, confusion matrices, Kendall's τ over runs, self-preference.",
        discussion: """
            Judges are named by key prefix or adapter name, as `wise report --judge` takes them.

            Examples:
              wise agreement flux-dev --judges 3fa2,9c01
              wise agreement flux-dev sd35 qwen-image --judges 3fa2,9c01 --judge-family 3fa2=qwen --format json
            """
    )

    @Argument(help: "One or more runs judged by both judges.")
    var runs: [String]

    @Option(help: ArgumentHelp("The two judges, comma-separated key prefixes.", valueName: "A,B"))
    var judges: String

    @Option(help: ArgumentHelp("A judge's model family, for the self-preference check (repeatable); default: the judge spec's `family` parameter.", valueName: "KEY=FAMILY"))
    var judgeFamily: [String] = []

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run") }
        if judges.split(separator: ",").count != 2 { throw ValidationError("--judges takes two judges: A,B") }
        for entry in judgeFamily where !entry.contains("=") { throw ValidationError("--judge-family takes KEY=FAMILY, not '\(entry)'") }
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let keys = judges.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        var specs: [AdapterSpec] = []
        var pairs: [AgreementStudy.Pair] = []
        for name in runs {
            let stored = try store.requireRun(name)
            let a = try store.studyRun(name, judgeKey: keys[0]), b = try store.studyRun(name, judgeKey: keys[1])
            guard let specA = a.summary.judge, let specB = b.summary.judge else { throw UsageError("run '\(name)' is not judged yet") }
            if specA == specB { throw UsageError("--judges \(judges) names the same judge twice for run '\(name)'") }
            if specs.isEmpty { specs = [specA, specB] }
            pairs.append(AgreementStudy.Pair(first: a, second: b, firstJudgments: try store.studyJudgments(of: stored, judge: specA),
                                             secondJudgments: try store.studyJudgments(of: stored, judge: specB),
                                             generatorFamily: stored.generator.parameters["family"]))
        }
        let given = Dictionary(judgeFamily.map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        }, uniquingKeysWith: { _, b in b })
        let families = zip(keys, specs).map { key, spec in given[key] ?? spec.parameters["family"] }
        let study = try AgreementStudy(judges: specs, families: families, pairs: pairs)
        try emit(format == .json ? study.renderJSON() : study.renderTerminal(), to: out)
    }
}
