import Foundation
import WiseCore
import WiseReport
import WiseStore

extension ResultsStore {
    /// A run with its outcomes under one judge (by key prefix, or the latest) and its catalogue hash.
    public func studyRun(_ name: String, judgeKey: String?) throws -> StudyRun {
        let run = try requireRun(name)
        let summary = try summary(of: run, judgeKey: judgeKey)
        return StudyRun(summary: summary, outcomes: try outcomes(of: run, judge: summary.judge),
                        catalogueHash: try catalogueHash(of: run.set) ?? "unknown")
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
