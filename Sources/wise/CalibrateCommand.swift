import ArgumentParser
import WiseCore
import WiseHarness
import WiseJudges

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
        try await Calibration(against: against, labels: labels, out: out, clip: clip).run(store: store)
    }
}
