import ArgumentParser
import Foundation
import WiseCore
import WiseJudges

/// The options of the `example` judge, which are also its factory: what CONTRIBUTING.md walks through.
public struct ExampleJudgeOptions: ParsableArguments, JudgeFactory {
    public static let adapterName = "example"
    public static let summary = "a toy judge that gives every image the same level on every aspect"

    @Option(help: ArgumentHelp("The level every aspect gets (0 or 1 for verified, 0–2 for legacy).", valueName: "n"))
    public var exampleLevel = 1.0

    public init() {}

    public func validate() throws {
        guard exampleLevel.isFinite, (0...2).contains(exampleLevel) else {
            throw ValidationError("--example-level must be a number from 0 to 2, not \(exampleLevel)")
        }
    }

    public func makeJudge(_ context: JudgeContext) throws -> MadeJudge {
        MadeJudge(judge: ExampleJudge(level: exampleLevel, scoringProtocol: context.scoringProtocol))
    }
}

/// A toy judge: the same level for every aspect of every image, and a dry-run estimate in seconds.
public struct ExampleJudge: Judge {
    public let level: Double
    public let scoringProtocol: ScoringProtocol

    /// The identity: everything that changes the verdicts, nothing that does not.
    public var spec: AdapterSpec {
        AdapterSpec(adapter: "example", parameters: ["level": formatNumber(level), "protocol": scoringProtocol.rawValue])
    }

    public func judge(_ request: JudgeRequest) async throws -> Verdict {
        guard !request.image.isEmpty else { return .unscored(reason: "an empty image", evidence: Evidence()) }
        let scores = AspectScores(Dictionary(uniqueKeysWithValues: scoringProtocol.aspects.map { ($0, level) }))
        return .scored(scores, evidence: Evidence(measurements: ["bytes": Double(request.image.count)]))
    }

    public func estimate(_ workload: JudgeWorkload) async -> JudgeEstimate? {
        JudgeEstimate(seconds: 0.001 * Double(workload.requests), basis: "a millisecond an image")
    }
}
