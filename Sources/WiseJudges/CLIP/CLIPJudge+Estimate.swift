import Foundation
import WiseCLIP
import WiseCore

extension CLIPJudge {
    /// Time for a dry run, measured: one probe image and its two texts through the model, times
    /// the requests (the judge takes one image at a time; the zero-shot pair texts are cached).
    public func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate? {
        guard let probe = try? RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 128, count: 64 * 64 * 3)) else { return nil }
        let start = ContinuousClock.now
        _ = model.embedImages([probe])
        _ = model.embedTexts([workload.samplePrompt?.text ?? "a photo", workload.samplePrompt?.explanation ?? "a photo"])
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return JudgeEstimate(seconds: seconds * Double(workload.requests),
                             basis: String(format: "measured %.2f s per image on this machine, no tokens or API cost", seconds))
    }

    /// The CLIP judge spends no tokens and has nothing to add after a pass.
    public func passNotes() -> [String] { [] }
}
