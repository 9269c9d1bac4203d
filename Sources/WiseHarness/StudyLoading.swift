import Foundation
import WiseCore
import WiseReport
import WiseStore

/// The judge each of several runs is read under, and a line saying which and why.
public struct JudgeChoice: Sendable {
    /// One judge per run, in the runs' order (nil: that run is not judged yet).
    public var judges: [AdapterSpec?]
    /// Which judge was used and why, for a note (nil when there was nothing to choose).
    public var note: String?
}

extension ResultsStore {
    /// A run with its outcomes under one judge (named by key prefix, adapter or model, or the
    /// default: the one that judged the most images) and its catalogue hash.
    public func studyRun(_ name: String, judgeKey: String?) throws -> StudyRun {
        let run = try requireRun(name)
        return try studyRun(run, judge: try chooseJudge(of: run, key: judgeKey))
    }

    /// A run for a study of repeats: under the judge `judgeKey` names, or else the one with the
    /// most repeats per image (a variance study's judge), the default judge on a tie.
    public func repeatedStudyRun(_ name: String, judgeKey: String?) throws -> StudyRun {
        let run = try requireRun(name)
        guard judgeKey == nil else { return try studyRun(run, judge: try chooseJudge(of: run, key: judgeKey)) }
        let repeats = { (use: JudgeUse) in Double(use.judgments) / Double(max(1, use.images)) }
        let best = try judges(of: run).min { a, b in repeats(a) != repeats(b) ? repeats(a) > repeats(b) : a.isPreferred(over: b) }
        return try studyRun(run, judge: best?.spec)
    }

    /// A run with its outcomes under a judge already chosen.
    func studyRun(_ run: StoredRun, judge: AdapterSpec?) throws -> StudyRun {
        StudyRun(summary: try summary(of: run, judge: judge), outcomes: try outcomes(of: run, judge: judge),
                 catalogueHash: try catalogueHash(of: run.set) ?? "unknown")
    }

    /// Several runs for one board or study, all read under one judge they share, with the line
    /// saying which (for the caller to note once the board or study is made, so a refusal stays one line).
    public func studyRuns(_ names: [String], judgeKey: String?, allowMixed: Bool) throws -> (runs: [StudyRun], note: String?) {
        let runs = try names.map { try requireRun($0) }
        let choice = try chooseJudges(for: runs, name: judgeKey, allowMixed: allowMixed)
        return (try zip(runs, choice.judges).map { try studyRun($0, judge: $1) }, choice.note)
    }

    /// The judge several runs are read under: one that judged them all (the same identity: an
    /// imported run's provenance aside), named by `name` (key prefix, adapter or model) or else
    /// the one that judged the most of their images (the later on a tie).
    ///
    /// Runs that share no judge are refused in one line listing each run's judges, and runs not
    /// judged yet beside judged ones are refused too, unless `allowMixed`: then each is read under
    /// its own judge, or left unjudged.
    public func chooseJudges(for runs: [StoredRun], name: String?, allowMixed: Bool) throws -> JudgeChoice {
        let uses = try runs.map { try judges(of: $0) }
        var candidates = uses
        if let name {
            for (run, list) in zip(runs, uses) where !list.contains(where: { $0.matches(name) }) {
                throw JudgeUse.noMatch(name, run: run.name, among: list)
            }
            candidates = uses.map { $0.filter { $0.matches(name) } }
        }
        func identity(_ use: JudgeUse) -> String { RunFingerprint.identity(of: use.spec).canonicalJSON }
        let judged = candidates.indices.filter { !candidates[$0].isEmpty }
        guard let first = judged.first else { return JudgeChoice(judges: runs.map { _ in nil }, note: nil) }
        if !allowMixed, judged.count < runs.count {
            let unjudged = runs.indices.filter { candidates[$0].isEmpty }.map { runs[$0].name }
            throw UsageError("run\(unjudged.count == 1 ? "" : "s") \(unjudged.map { "'\($0)'" }.joined(separator: ", ")) \(unjudged.count == 1 ? "is" : "are") not judged yet while the others are; judge \(unjudged.count == 1 ? "it" : "them") first (`wise judge \(unjudged[0])` with the others' judge), or pass --allow-mixed to show \(unjudged.count == 1 ? "it" : "them") unjudged, marked")
        }
        let shared = judged.dropFirst().reduce(Set(candidates[first].map(identity))) { $0.intersection(candidates[$1].map(identity)) }
        let several = runs.count > 1 || uses.contains { $0.count > 1 }
        guard !shared.isEmpty else {
            let listing = judged.map { "\(runs[$0].name): \(candidates[$0].map(\.label).joined(separator: ", "))" }.joined(separator: "; ")
            guard allowMixed else {
                throw UsageError("runs \(judged.map { "'\(runs[$0].name)'" }.joined(separator: ", ")) share no judge\(name.map { " matching --judge \($0)" } ?? ""), so their scores were not made the same way (\(listing)); judge them all with one judge (`wise judge RUN` with its options), or pass --allow-mixed to read each under its own judge, marked")
            }
            let picks = try zip(runs, candidates).map { run, list -> AdapterSpec? in
                if let name, list.count > 1 { throw JudgeUse.ambiguous(name, of: "run '\(run.name)'", candidates: list) }
                return list.preferred?.spec
            }
            return JudgeChoice(judges: picks, note: "the runs share no judge; each is read under its own (--allow-mixed): \(listing)")
        }
        // One candidate per shared identity, its images and latest use summed over the runs.
        let options = shared.sorted().map { id -> JudgeUse in
            let matching = judged.compactMap { i in candidates[i].first { identity($0) == id } }
            return JudgeUse(spec: matching[0].spec, judgments: matching.reduce(0) { $0 + $1.judgments },
                            images: matching.reduce(0) { $0 + $1.images }, lastAt: matching.map(\.lastAt).max() ?? "")
        }
        if let name, options.count > 1 {
            throw JudgeUse.ambiguous(name, of: runs.count > 1 ? "the runs" : "run '\(runs[0].name)'", candidates: options)
        }
        let chosen = options.preferred!
        let picks = candidates.map { list in list.first { identity($0) == identity(chosen) }?.spec }
        guard several else { return JudgeChoice(judges: picks, note: nil) }
        var note = runs.count == 1 ? "run \(runs[0].name) has \(uses[0].count) judges; showing \(chosen.label)"
                                   : "judge \(chosen.label), which all \(judged.count)\(judged.count < runs.count ? " judged" : "") runs share"
        let most = runs.count == 1 ? "the one that judged the most images" : "of those shared, the one that judged the most images"
        note += name.map { " (--judge \($0))" } ?? (options.count > 1 ? " (\(most), the later on a tie)" : "")
        let others = zip(runs, uses).compactMap { run, list -> String? in
            let rest = list.filter { identity($0) != identity(chosen) }
            return rest.isEmpty ? nil : "\(run.name): " + rest.map(\.label).joined(separator: ", ")
        }
        if !others.isEmpty { note += "; other judges: \(others.joined(separator: "; "))\(name == nil ? "; choose one with --judge KEY" : "")" }
        return JudgeChoice(judges: picks, note: note)
    }

    /// A run with its images and the judgments of the judge its board shows (the one `--judge`
    /// chose, else the latest), for the HTML gallery.
    public func galleryRun(_ study: StudyRun) throws -> GalleryRun {
        let run = try requireRun(study.name)
        let judge = try study.summary.judge.map { spec in
            GalleryJudge(spec: spec,
                         judgments: Dictionary(grouping: try studyJudgments(of: run, judge: spec), by: \.promptID),
                         parseSensitive: Set(try parseSensitiveItems(of: run, judge: spec).map(\.promptID)))
        }
        return GalleryRun(run: study, images: Dictionary(try studyImages(of: run).map { ($0.promptID, $0) }, uniquingKeysWith: { a, _ in a }),
                          judge: judge, imageFolder: run.generator.adapter == "folder" ? run.generator.parameters["path"] : nil)
    }

    /// Each item's integer score (7c + 2r + a, or the 0/1 score) from its first scored repeat.
    public func firstIntegerScores(_ study: StudyRun) throws -> [Int: Int] {
        guard let judge = study.summary.judge else { return [:] }
        var out: [Int: Int] = [:]
        for j in try studyJudgments(of: try requireRun(study.name), judge: judge) where j.status == .ok && out[j.promptID] == nil {
            if let scores = j.scores, let value = Comparison.integerScore(scores, study.summary.scoringProtocol) { out[j.promptID] = value }
        }
        return out
    }
}
