import Foundation
import Testing
import WiseCore
@testable import WiseCLIP
@testable import WiseJudges

/// The `clip` judge on the tiny fixture model: measurements, thresholds, evidence.
@Suite struct CLIPJudgeTests {
    static func request(image: Data, text: String = "a photo of a cat", explanation: String = "a cat sat on the mat") -> JudgeRequest {
        let prompt = Prompt(
            set: .legacy, id: 1, category: .culture, categoryLabel: "Cultural knowledge", subcategory: "festival",
            domain: "cultural_common_sense", text: text, explanation: explanation)
        return JudgeRequest(prompt: prompt, image: image, format: .png, repeatIndex: 0)
    }

    static func imageData(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: Fixtures.image(name)))
    }

    @Test func scoresFromThresholdsAndKeepsEveryMeasurement() async throws {
        // Given the tiny model and a legacy calibration
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let calibration = CLIPCalibration.defaults(for: .legacy, aestheticHead: false)
        let judge = try CLIPJudge(model: model, modelName: "tiny-quick", calibration: calibration, digestCache: false)
        // When two images are judged in one batch
        let verdicts = try await judge.judge([
            Self.request(image: try Self.imageData("gradient-37x23.png")),
            Self.request(image: try Self.imageData("mixed-50x33.jpg")),
        ])
        // Then each is scored, its aspects follow the thresholds, and the raw values are evidence
        for verdict in verdicts {
            guard case .scored(let aspects, let evidence) = verdict else {
                Issue.record("expected a scored verdict, got \(verdict)")
                continue
            }
            let m = evidence.measurements
            #expect(Set(m.keys).isSuperset(of: ["clip_score", "clip_score_prompt", "clip_score_explanation", "realism", "aesthetic"]))
            #expect(m["clip_score"] == m["clip_score_explanation"])
            #expect((0...2.5).contains(m["clip_score"]!))
            #expect(aspects["consistency"] == calibration.level("consistency", m["clip_score"]!))
            #expect(aspects["realism"] == calibration.level("realism", m["realism"]!))
            #expect(aspects["aesthetic_quality"] == calibration.level("aesthetic_quality", m["aesthetic"]!))
            #expect(aspects.validate(for: .legacy) == nil)
        }
        // And judging again gives the identical verdict
        let again = try await judge.judge(Self.request(image: try Self.imageData("gradient-37x23.png")))
        #expect(again == verdicts[0])
    }

    @Test func undecodableImageIsUnscored() async throws {
        // Given bytes that are no image
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let judge = try CLIPJudge(model: model, modelName: "tiny-quick", calibration: .defaults(for: .verified, aestheticHead: false), digestCache: false)
        // When they are judged, Then the verdict is unscored with the decoder's reason
        let verdict = try await judge.judge(Self.request(image: Data("not an image".utf8)))
        guard case .unscored(let reason, _) = verdict else {
            Issue.record("expected unscored, got \(verdict)")
            return
        }
        #expect(reason.contains("not a PNG, JPEG or WebP"))
    }

    @Test func verifiedProtocolHasOneCut() throws {
        // Given a verified calibration with one cut at 1.0
        let calibration = try CLIPCalibration(scoringProtocol: .verified, text: .both, measurements: ["score": "clip_score"], thresholds: ["score": [1.0]])
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let judge = try CLIPJudge(model: model, modelName: "tiny-quick", calibration: calibration, digestCache: false)
        // Then values below the cut score 0 and at or above it 1, and "both" averages the two scores
        #expect(judge.verdict(["clip_score": 0.99]) == .scored(AspectScores(["score": 0]), evidence: judge.evidence(["clip_score": 0.99])))
        #expect(judge.verdict(["clip_score": 1.0]) == .scored(AspectScores(["score": 1]), evidence: judge.evidence(["clip_score": 1.0])))
        // And the evidence names the model and the BLAS kernels that computed it
        #expect(judge.evidence([:]).servedModel == "tiny-quick" && judge.evidence([:]).systemFingerprint == BLAS.kernels)
        let m = judge.measurements(image: [1, 0, 0], prompt: [1, 0, 0], explanation: [0, 1, 0])
        #expect(m["clip_score"] == 1.25)
    }

    @Test func calibrationFilesAreChecked() throws {
        // Given calibration files, one good and two broken
        let directory = NSTemporaryDirectory() + "wise-calibration-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = #"{"protocol":"legacy","thresholds":{"consistency":[0.6,0.7],"realism":[0.3,0.6],"aesthetic_quality":[4,5]}}"#
        let tooFewCuts = #"{"protocol":"legacy","thresholds":{"consistency":[0.6],"realism":[0.3,0.6],"aesthetic_quality":[4,5]}}"#
        let unknownMeasurement = #"{"protocol":"verified","measurements":{"score":"vibes"},"thresholds":{"score":[1]}}"#
        for (name, text) in [("good", good), ("few", tooFewCuts), ("unknown", unknownMeasurement)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name).json"))
        }
        // When they are loaded, Then the good one reads with defaults filled in and the others say what is wrong
        let calibration = try CLIPCalibration.load(from: "\(directory)/good.json")
        #expect(calibration.text == .explanation)
        #expect(calibration.measurements["aesthetic_quality"] == "aesthetic")
        #expect { try CLIPCalibration.load(from: "\(directory)/few.json") } throws: { "\($0)".contains("consistency needs 2 ascending") }
        #expect { try CLIPCalibration.load(from: "\(directory)/unknown.json") } throws: { "\($0)".contains("needs a measurement") }
        // And a different calibration is a different judge
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let a = try CLIPJudge(model: model, modelName: "m", calibration: calibration, digestCache: false)
        let b = try CLIPJudge(model: model, modelName: "m", calibration: .defaults(for: .legacy, aestheticHead: false), digestCache: false)
        #expect(a.spec.key != b.spec.key)
        #expect(a.spec.adapter == "clip")
    }

    @Test func aestheticHeadAppliesItsLinearLayers() throws {
        // Given a two-layer head over 24-wide embeddings written as safetensors
        let w0: [Float] = (0..<(2 * 24)).map { Float($0 % 5) - 2 }
        let b0: [Float] = [0.5, -0.5]
        let w1: [Float] = [2, 3]
        let b1: [Float] = [1]
        let path = try writeSafetensors([("layers.0.weight", [2, 24], w0), ("layers.0.bias", [2], b0), ("layers.3.weight", [1, 2], w1), ("layers.3.bias", [1], b1)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let head = try AestheticHead(path: path, embeddingWidth: 24)
        // When it scores an embedding
        let x: [Float] = (0..<24).map { Float($0) / 24 }
        let hidden = (0..<2).map { row in (0..<24).reduce(b0[row]) { $0 + w0[row * 24 + $1] * x[$1] } }
        // Then the result is the layers applied in order
        #expect(abs(head.score(x) - Double(w1[0] * hidden[0] + w1[1] * hidden[1] + b1[0])) < 1e-4)
        #expect(throws: CLIPError.self) { try AestheticHead(path: path, embeddingWidth: 32) }
    }

    func writeSafetensors(_ tensors: [(String, [Int], [Float])]) throws -> String {
        var offset = 0
        var fields: [String] = []
        var body: [UInt8] = []
        for (name, shape, values) in tensors {
            fields.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + 4 * values.count)]}")
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            offset += 4 * values.count
        }
        let header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        bytes += header + body
        let path = NSTemporaryDirectory() + "head-\(UUID().uuidString).safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Fitting thresholds to another judge's labels, and the agreement reported.
@Suite struct CLIPCalibrationFitTests {
    @Test func recoversCutsThatSeparateTheLabels() throws {
        // Given measurements that an LLM labelled 0 below 0.5, 1 up to 0.8 and 2 above
        let values = (0..<60).map { Double($0) / 60 }
        let measurements = values.map { ["clip_score": $0, "realism": $0, "aesthetic": 1 - $0] }
        let labels = values.map { v in
            AspectScores(["consistency": v < 0.5 ? 0 : v < 0.8 ? 1 : 2, "realism": v < 0.3 ? 0 : 2, "aesthetic_quality": 1])
        }
        // When the thresholds are fitted
        let (fitted, agreements) = try CLIPCalibration.defaults(for: .legacy, aestheticHead: false)
            .fitted(measurements: measurements, labels: labels)
        // Then consistency agrees exactly, with κ = 1, and the cuts sit at the label changes
        let consistency = agreements.first { $0.aspect == "consistency" }!
        #expect(consistency.exactMatch == 1)
        #expect(consistency.quadraticKappa == 1)
        #expect(fitted.thresholds["consistency"] == [0.5, 0.8])
        #expect(agreements.count == 3)
        #expect(agreements.allSatisfy { $0.count == 60 })
    }

    /// Fits the verified `score` to labels that are all `label` and returns (cut, exact match, κ).
    func fitVerified(allLabelled label: Double) throws -> (Double, Double, Double?) {
        let values = (0..<40).map { 0.5 + Double($0) / 100 }
        let (fitted, agreements) = try CLIPCalibration.defaults(for: .verified, aestheticHead: false)
            .fitted(measurements: values.map { ["clip_score": $0] }, labels: values.map { _ in AspectScores(["score": label]) })
        return (fitted.thresholds["score"]![0], agreements[0].exactMatch, agreements[0].quadraticKappa)
    }

    @Test func labelsThatAreAllTheTopLevelAreFitExactly() throws {
        // Given verified labels that are all 1
        // When the cut is fitted, Then every item reaches it: exact agreement (κ is undefined)
        let (cut, exact, kappa) = try fitVerified(allLabelled: 1)
        #expect(cut <= 0.5)
        #expect(exact == 1)
        #expect(kappa == nil)
    }

    @Test func labelsThatAreAllZeroPutTheCutAboveEveryValue() throws {
        // Given verified labels that are all 0
        // When the cut is fitted, Then it lies above the largest value, so every item scores 0
        let (cut, exact, _) = try fitVerified(allLabelled: 0)
        #expect(cut > 0.89)
        #expect(exact == 1)
    }

    @Test(arguments: [0.0, 1.0, 2.0])
    func legacyLabelsThatAreAllOneLevelAreFitExactly(level: Double) throws {
        // Given legacy labels that are all `level` for every aspect
        let values = (0..<30).map { Double($0) / 30 }
        let measurements = values.map { ["clip_score": $0, "realism": $0, "aesthetic": $0] }
        let labels = values.map { _ in AspectScores(["consistency": level, "realism": level, "aesthetic_quality": level]) }
        // When the cuts are fitted
        let (fitted, agreements) = try CLIPCalibration.defaults(for: .legacy, aestheticHead: false).fitted(measurements: measurements, labels: labels)
        // Then every item gets that level back
        #expect(agreements.allSatisfy { $0.exactMatch == 1 }, "\(agreements)")
        for value in values {
            #expect(fitted.level("consistency", value) == level)
        }
    }

    @Test func labelsOutsideTheScaleAreSkipped() throws {
        // Given labels with one out-of-range and one infinite value among valid ones
        let values = [0.1, 0.2, 0.3, 0.4]
        let labels: [AspectScores] = [AspectScores(["score": 0]), AspectScores(["score": .infinity]), AspectScores(["score": 7]), AspectScores(["score": 1])]
        // When fitted, Then only the two valid items count, and they are separated
        let (_, agreements) = try CLIPCalibration.defaults(for: .verified, aestheticHead: false)
            .fitted(measurements: values.map { ["clip_score": $0] }, labels: labels)
        #expect(agreements[0].count == 2)
        #expect(agreements[0].exactMatch == 1)
    }
}
