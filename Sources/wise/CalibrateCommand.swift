import ArgumentParser
import Foundation
import WiseCLIP
import WiseCore
import WiseRunner
import WiseStore

/// `wise calibrate`: fits the CLIP judge's thresholds to another judge's labels on the same images.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit the CLIP judge's thresholds to an LLM judge's labels on the same images, and say how far they agree.",
        discussion: """
            The CLIP judge measures every image of the run (its measurements are kept in the store, so a second calibration computes nothing); the thresholds between levels are then chosen, aspect by aspect, to agree best with the labels the other judge gave the same images (quadratic-weighted κ, then exact match). The result is written as a calibration file for `wise judge RUN --judge clip --calibration FILE`, and the agreement is printed: a cheap judge whose distance from the expensive one is known.

            Example:
              wise judge flux --base-url http://localhost:8000/v1 --model Qwen3.5-35B-A3B
              wise calibrate --judge clip --against flux --out clip-verified.json
              wise judge sd35 --judge clip --calibration clip-verified.json
            """
    )

    @Option(help: "The judge to calibrate; only clip has thresholds.")
    var judge = "clip"

    @Option(help: ArgumentHelp("The run whose images and labels to fit against.", valueName: "run"))
    var against: String

    @Option(help: ArgumentHelp("The judge whose labels count, by key prefix (see `wise report RUN`; default: the run's latest judge that is not CLIP).", valueName: "key"))
    var labels: String?

    @Option(help: ArgumentHelp("Where to write the calibration file.", valueName: "file"))
    var out: String

    @OptionGroup(title: "clip judge")
    var clip: CLIPJudgeOptions

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard judge == "clip" else {
            throw ValidationError("--judge \(judge): only the clip judge has thresholds to calibrate\(didYouMean(judge, among: ["clip"]))")
        }
    }

    func run() async throws {
        let store = try storeOptions.openExisting()
        try refuseStoreFiles(out, option: "--out", store: store.path)
        let run = try store.requireRun(against)
        let labelJudge = try labelSpec(store, run)
        // Measure every image with the CLIP judge (uncalibrated thresholds: only the measurements matter here).
        var options = try JudgeOptions.parse(["--judge", "clip"])
        options.clip = clip
        options.clip.calibration = nil
        let made = try JudgeRegistry.make(options, scoringProtocol: run.scoringProtocol)
        let runner = JudgeRunner(store: store, run: run, judge: made.judge, rubricSHA256: nil, options: .init(concurrency: 1))
        let lock = try JudgeLock(storePath: store.path)
        let measured = try await runner.judgeAll()
        withExtendedLifetime(lock) {}
        Console.note("measured \(measured.pending) images with \(made.judge.spec.parameters["model"] ?? "clip") (\(measured.reused) from the store)")

        // Pair each prompt's CLIP measurements with the label judge's scores (sample 0, first repeat of each).
        let rows = try store.judgmentRows(run: run).filter { $0.sampleIndex == 0 }
        var measurements: [Int: [String: Double]] = [:]
        var labelled: [Int: AspectScores] = [:]
        for row in rows {
            if row.judgeKey == made.judge.spec.key, !row.measurements.isEmpty, measurements[row.promptID] == nil { measurements[row.promptID] = row.measurements }
            if row.judgeKey == labelJudge.key, row.status == .ok, let scores = row.scores, labelled[row.promptID] == nil { labelled[row.promptID] = scores }
        }
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

    /// The judge whose labels count: the one named, or the run's latest judge that is not CLIP.
    func labelSpec(_ store: ResultsStore, _ run: StoredRun) throws -> AdapterSpec {
        if let labels, let spec = try store.chooseJudge(of: run, key: labels) { return spec }
        guard let spec = try store.judges(of: run).last(where: { $0.spec.adapter != "clip" })?.spec else {
            throw UsageError("run \(run.name) has no judgments from another judge to calibrate against; judge it first (e.g. wise judge \(run.name) --base-url URL --model NAME)")
        }
        return spec
    }
}
