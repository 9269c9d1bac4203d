import Foundation
import WiseCore
import WiseReport
import WiseStore

/// Reads the score files the official gpt_eval.py / vllm_eval.py wrote as a run, for `wise import`.
public struct ScoreImport {
    /// The run's name.
    public var name: String
    /// The prompt set the scores belong to.
    public var set: PromptSet
    /// The protocol of the files.
    public var scoringProtocol: ScoringProtocol
    /// Score files (.jsonl) and optional full-results files (.json).
    public var files: [String]

    public init(name: String, set: PromptSet, scoringProtocol: ScoringProtocol, files: [String]) {
        self.name = name; self.set = set; self.scoringProtocol = scoringProtocol; self.files = files
    }

    /// Checks every file, records the scores (nothing when any line is bad), says what was done,
    /// and prints the run's board.
    public func run(store: StoreOptions) throws {
        try RunSpec.validateName(name)
        let catalogue = try loadCatalogue(set)
        let urls = files.map { URL(fileURLWithPath: $0) }
        let records = try ScoreFile.read(urls, scoringProtocol: scoringProtocol, catalogue: catalogue)
        let content = ScoreFile.contentHash(records)
        let judge = AdapterSpec(adapter: "import", parameters: [
            "files": urls.map(\.lastPathComponent).sorted().joined(separator: ","),
            "content": String(content.prefix(16)),
        ])
        let spec = RunSpec(name: name, set: set, scoringProtocol: scoringProtocol,
                           generator: AdapterSpec(adapter: "import", parameters: ["content": String(content.prefix(16))]),
                           catalogueHash: catalogue.contentHash)
        let store = try store.openForWriting()
        let result = try store.importScores(spec, catalogue: catalogue, judge: judge, records: records)
        if result.created {
            Console.note("imported \(result.scored) scored and \(result.failed) failed judgments as run \(name) (set \(set.rawValue), protocol \(scoringProtocol.rawValue)); store \(store.path)")
        } else {
            Console.note("run \(name) already holds exactly these scores; nothing new was written")
        }
        try printBoard(result.run, store: store)
    }
}
