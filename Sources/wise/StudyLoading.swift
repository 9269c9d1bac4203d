import Foundation
import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions
import WiseReport
import WiseStore

/// Options every study shares: how many bootstrap resamples, which seed, and the output format.
struct StudyOptions: ParsableArguments {
    @Option(help: "Bootstrap resamples (0: no intervals).")
    var resamples = 10_000

    @Option(help: "Seed of the bootstrap's random draws; the same seed gives the same intervals.")
    var seed: UInt64 = 1
}

extension ResultsStore {
    /// A run with its outcomes under one judge (by key prefix, or the latest) and its catalogue hash.
    func studyRun(_ name: String, judgeKey: String?) throws -> StudyRun {
        let run = try requireRun(name)
        let summary = try summary(of: run, judgeKey: judgeKey)
        return StudyRun(summary: summary, outcomes: try outcomes(of: run, judge: summary.judge),
                        catalogueHash: try catalogueHash(of: run.set) ?? "unknown")
    }

    /// A run with every judge's judgments and its images, for the HTML gallery.
    func galleryRun(_ study: StudyRun) throws -> GalleryRun {
        let run = try requireRun(study.name)
        let judges = try judges(of: run).map { use in
            GalleryJudge(spec: use.spec,
                         judgments: Dictionary(grouping: try studyJudgments(of: run, judge: use.spec), by: \.promptID),
                         parseSensitive: Set(try parseSensitiveItems(of: run, judge: use.spec).map(\.promptID)))
        }
        return GalleryRun(run: study, images: Dictionary(try studyImages(of: run).map { ($0.promptID, $0) }, uniquingKeysWith: { a, _ in a }),
                          judges: judges)
    }
}
