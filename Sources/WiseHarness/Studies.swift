import Foundation
import WiseCore
import WiseReport
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
        let comparison = try Comparison(original: a, rewrite: b, integers: integers, prompts: try store.prompts(of: a.summary.set),
                                        resamples: resamples, seed: seed)
        if let note { Console.note(note) }
        return format == .json ? comparison.renderJSON() : comparison.renderTerminal(decimals: decimals)
    }

    /// How much one judge's verdicts on a run move over its repeats.
    public static func variance(store: ResultsStore, run name: String, judgeKey: String?, leastStable: Int, format: StudyFormat) throws -> String {
        let study = try store.repeatedStudyRun(name, judgeKey: judgeKey)
        guard let spec = study.summary.judge else { throw UsageError("run '\(name)' is not judged yet") }
        let variance = try VarianceStudy(run: study, judgments: try store.studyJudgments(of: try store.requireRun(name), judge: spec),
                                         prompts: try store.prompts(of: study.summary.set), leastStable: leastStable)
        return format == .json ? variance.renderJSON() : variance.renderTerminal()
    }

    /// How far two judges (`judges`: "A,B" key prefixes) agree on the same images of `runs`;
    /// `judgeFamilies` ("KEY=FAMILY") name a judge's family for the self-preference check.
    public static func agreement(store: ResultsStore, runs: [String], judges: String, judgeFamilies: [String], format: StudyFormat) throws -> String {
        let keys = judges.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        var specs: [AdapterSpec] = []
        var pairs: [AgreementStudy.Pair] = []
        for name in runs {
            let pair = try agreementPair(store: store, run: name, keys: keys, judges: judges)
            if specs.isEmpty { specs = [pair.first.summary.judge!, pair.second.summary.judge!] }
            pairs.append(pair)
        }
        let given = Dictionary(judgeFamilies.map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        }, uniquingKeysWith: { _, b in b })
        let families = zip(keys, specs).map { key, spec in given[key] ?? spec.parameters["family"] }
        let study = try AgreementStudy(judges: specs, families: families, pairs: pairs)
        return format == .json ? study.renderJSON() : study.renderTerminal()
    }

    /// One run under both judges; a run either judge has not judged, or one judge named twice, is refused.
    static func agreementPair(store: ResultsStore, run name: String, keys: [String], judges: String) throws -> AgreementStudy.Pair {
        let stored = try store.requireRun(name)
        let a = try store.studyRun(name, judgeKey: keys[0]), b = try store.studyRun(name, judgeKey: keys[1])
        guard let specA = a.summary.judge, let specB = b.summary.judge else { throw UsageError("run '\(name)' is not judged yet") }
        if specA == specB { throw UsageError("--judges \(judges) names the same judge twice for run '\(name)'") }
        return AgreementStudy.Pair(first: a, second: b, firstJudgments: try store.studyJudgments(of: stored, judge: specA),
                                   secondJudgments: try store.studyJudgments(of: stored, judge: specB),
                                   generatorFamily: stored.generator.parameters["family"])
    }
}
