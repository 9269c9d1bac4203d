import Foundation
import WiseCore
import WiseReport
import WiseStats
import WiseStore

/// The output formats of the studies.
public enum StudyFormat: String, CaseIterable, Sendable {
    case terminal, json
}

/// The judge studies (`wise compare`, `wise variance`, `wise agreement`): each reads its runs
/// from the store and answers the study as text in the format asked for.
public enum Studies {
    /// Two runs on the same prompt ids, item by item, with paired bootstrap intervals, under one
    /// judge both share (runs judged by different judges are refused unless `allowMixed`).
    public static func compare(store: ResultsStore, original: String, rewrite: String, judgeKey: String?, allowMixed: Bool = false,
                               resamples: Int, seed: UInt64, format: StudyFormat, decimals: Int?) throws -> String {
        let (pair, note) = try store.studyRuns([original, rewrite], judgeKey: judgeKey, allowMixed: allowMixed)
        let a = pair[0], b = pair[1]
        try refuseNaiveCrossProtocol(store: store, a, b)
        let integers = try [a, b].map { try store.firstIntegerScores($0) }
        let aspects = try [a, b].map { try firstAspectScores(store: store, $0) }
        let comparison = try Comparison(original: a, rewrite: b, integers: integers, aspects: aspects,
                                        prompts: try store.prompts(of: a.summary.set), resamples: resamples, seed: seed)
        if let note { Console.note(note) }
        return format == .json ? comparison.renderJSON() : comparison.renderTerminal(decimals: decimals)
    }

    /// Each item's aspect scores from its first scored repeat under the run's judge.
    static func firstAspectScores(store: ResultsStore, _ study: StudyRun) throws -> [Int: AspectScores] {
        guard let judge = study.summary.judge else { return [:] }
        var out: [Int: AspectScores] = [:]
        for j in try store.studyJudgments(of: try store.requireRun(study.name), judge: judge) where j.status == .ok && out[j.promptID] == nil {
            if let scores = j.scores { out[j.promptID] = scores }
        }
        return out
    }

    /// How much one judge's verdicts on a run move over its repeats.
    public static func variance(store: ResultsStore, run name: String, judgeKey: String?, leastStable: Int,
                                resamples: Int, seed: UInt64, format: StudyFormat) throws -> String {
        let study = try store.repeatedStudyRun(name, judgeKey: judgeKey)
        guard let spec = study.summary.judge else { throw UsageError("run '\(name)' is not judged yet") }
        let variance = try VarianceStudy(run: study, judgments: try store.studyJudgments(of: try store.requireRun(name), judge: spec),
                                         prompts: try store.prompts(of: study.summary.set), leastStable: leastStable,
                                         bootstrap: ItemBootstrap(resamples: resamples, seed: seed))
        return format == .json ? variance.renderJSON() : variance.renderTerminal()
    }

    /// How far two or more judges (`judges`: "A,B[,C…]" key prefixes) agree on the same images of
    /// `runs`; `judgeFamilies` ("KEY=FAMILY") name a judge's family for the self-preference check.
    public static func agreement(store: ResultsStore, runs: [String], judges: String, judgeFamilies: [String],
                                 resamples: Int, seed: UInt64, format: StudyFormat) throws -> String {
        let keys = judges.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard keys.count >= 2 else { throw UsageError("--judges takes two or more judges, comma-separated (A,B or A,B,C), not '\(judges)'") }
        var specs: [AdapterSpec] = []
        var judged: [AgreementStudy.JudgedRun] = []
        for name in runs {
            let run = try judgedRun(store: store, run: name, keys: keys, judges: judges)
            if specs.isEmpty { specs = run.runs.compactMap(\.summary.judge) }
            judged.append(run)
        }
        var given: [String: String] = [:]
        for entry in judgeFamilies {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw UsageError("--judge-family takes KEY=FAMILY (say 3fa2=qwen), not '\(entry)'")
            }
            given[parts[0]] = parts[1]
        }
        let families = zip(keys, specs).map { key, spec in given[key] ?? spec.parameters["family"] }
        let study = try AgreementStudy(judges: specs, families: families, runs: judged,
                                       bootstrap: ItemBootstrap(resamples: resamples, seed: seed))
        return format == .json ? study.renderJSON() : study.renderTerminal()
    }

    /// One run under every judge; a run some judge has not judged, or one judge named twice, is refused.
    static func judgedRun(store: ResultsStore, run name: String, keys: [String], judges: String) throws -> AgreementStudy.JudgedRun {
        let stored = try store.requireRun(name)
        let studies = try keys.map { try store.studyRun(name, judgeKey: $0) }
        var specs: [AdapterSpec] = []
        for (key, study) in zip(keys, studies) {
            guard let spec = study.summary.judge else { throw UsageError("run '\(name)' is not judged yet (judge '\(key)')") }
            if specs.contains(spec) { throw UsageError("--judges \(judges) names the same judge twice for run '\(name)' ('\(key)')") }
            specs.append(spec)
        }
        return AgreementStudy.JudgedRun(runs: studies, judgments: try specs.map { try store.studyJudgments(of: stored, judge: $0) },
                                        generatorFamily: stored.generator.parameters["family"])
    }
}
