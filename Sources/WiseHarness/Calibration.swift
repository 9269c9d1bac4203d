import ArgumentParser
import Foundation
import WiseCLIP
import WiseCore
import WiseJudges
import WiseRunner
import WiseStore

/// Fits the CLIP judge's thresholds to another judge's labels on the same images (`wise calibrate`).
public struct Calibration {
    /// The run whose images and labels to fit against.
    public var against: String
    /// The label judge by key prefix; nil for the run's latest judge that is not CLIP.
    public var labels: String?
    /// Where to write the calibration file.
    public var out: String
    public var clip: CLIPJudgeOptions

    public init(against: String, labels: String?, out: String, clip: CLIPJudgeOptions) {
        self.against = against; self.labels = labels; self.out = out; self.clip = clip
    }

    /// Measures the run with the CLIP judge, fits thresholds to the label judge, writes the file and prints the agreement.
    public func run(store: ResultsStore) async throws {
        let run = try store.requireRun(against)
        let labelJudge = try labelSpec(store, run)
        // Measure every image with the CLIP judge (uncalibrated thresholds: only the measurements matter here).
        var options = try JudgeOptions.parse(["--judge", "clip"])
        options.adapters.clip = clip
        options.adapters.clip.calibration = nil
        let made = try options.makeJudge(scoringProtocol: run.scoringProtocol)
        for line in made.advice { Console.note(line) }
        let runner = JudgeRunner(store: store, run: run, judge: made.judge, rubricSHA256: nil, options: .init(concurrency: 1))
        let lock = try JudgeLock(storePath: store.path)
        let measured = try await runner.judgeAll()
        withExtendedLifetime(lock) {}

        // Pair each prompt's CLIP measurements with the label judge's scores (sample 0, first repeat of each).
        let allRows = try store.judgmentRows(run: run)
        let measuredImages = Set(allRows.filter { $0.judgeKey == made.judge.spec.key && !$0.measurements.isEmpty }.map { [$0.promptID, $0.sampleIndex] })
        let rows = allRows.filter { $0.sampleIndex == 0 }
        var measurements: [Int: [String: Double]] = [:]
        var labelled: [Int: AspectScores] = [:]
        for row in rows {
            if row.judgeKey == made.judge.spec.key, !row.measurements.isEmpty, measurements[row.promptID] == nil { measurements[row.promptID] = row.measurements }
            if row.judgeKey == labelJudge.key, row.status == .ok, let scores = row.scores, labelled[row.promptID] == nil { labelled[row.promptID] = scores }
        }
        Console.note(Self.measuredLine(total: measuredImages.count, fresh: measured.pending - measured.reused, copied: measured.reused))
        let ids = measurements.keys.filter { labelled[$0] != nil }.sorted()
        guard ids.count >= 2 else {
            throw DataError("run \(against): only \(ids.count) images have both a CLIP measurement and a scored label from \(labelJudge.judgeDescription); judge the run with that judge first")
        }
        let start = CLIPCalibration.defaults(for: run.scoringProtocol, aestheticHead: clip.aestheticHead != nil)
        let (fitted, agreement) = try start.fitted(measurements: ids.map { measurements[$0]! }, labels: ids.map { labelled[$0]! })
        try writeAtomically(Data((fitted.canonicalJSON + "\n").utf8), to: URL(fileURLWithPath: out))
        var text = "calibrated clip against \(labelJudge.judgeDescription) on \(ids.count) images of run \(against)\n"
        text += String(format: "%-18@ %6@ %12@ %14@  %@\n", "aspect" as NSString, "items" as NSString, "exact match" as NSString, "quadratic κ" as NSString, "thresholds" as NSString)
        for a in agreement {
            let kappa = a.quadraticKappa.map { String(format: "%.4f", $0) } ?? "—"
            let cuts = (fitted.thresholds[a.aspect] ?? []).map { String(format: "%.4g", $0) }.joined(separator: ", ")
            text += String(format: "%-18@ %6d %12.4f %14@  %@\n", a.aspect as NSString, a.count, a.exactMatch, kappa as NSString, cuts as NSString)
        }
        text += "wrote \(out); use it with: wise judge RUN --judge clip --calibration \(out)\n"
        Console.out(text)
    }

    /// Where the CLIP measurements came from, counting every image measured, not only this pass's:
    /// `CLIP measurements of 50 images: 0 measured now, 50 from earlier passes`.
    static func measuredLine(total: Int, fresh: Int, copied: Int) -> String {
        var sources = ["\(fresh) measured now"]
        if copied > 0 { sources.append("\(copied) copied from identical images in the store") }
        let earlier = total - fresh - copied
        if earlier > 0 { sources.append("\(earlier) from earlier passes") }
        return "CLIP measurements of \(total) images: " + sources.joined(separator: ", ")
    }

    /// The judge whose labels count: the one named, or the run's latest judge that is not CLIP.
    func labelSpec(_ store: ResultsStore, _ run: StoredRun) throws -> AdapterSpec {
        if let labels, let spec = try store.chooseJudge(of: run, key: labels) { return spec }
        guard let spec = try store.judges(of: run).last(where: { $0.spec.adapter != "clip" })?.spec else {
            throw UsageError("run \(run.name) has no judgments from another judge to calibrate against; judge it first (e.g. wise judge \(run.name) --base-url URL --model NAME)")
        }
        return spec
    }
}
