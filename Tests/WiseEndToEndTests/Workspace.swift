import Foundation
import WiseCore
import WiseStore
import TestSupport

/// A temporary folder with a store path, the test catalogue and a way to run `wise` in it.
struct Workspace {
    let root: URL
    let catalogue: TestCatalogue
    let wise: WiseProcess
    var storePath: String { root.appendingPathComponent("results/wise.sqlite").path }

    init(label: String = "e2e", extraEnvironment: [String: String] = [:], catalogue: TestCatalogue? = nil) throws {
        root = try TempDirectory.make(label)
        self.catalogue = try catalogue ?? TestCatalogue.make()
        var env = self.catalogue.environment
        env["WISE_CACHE"] = root.appendingPathComponent("cache").path
        env.merge(extraEnvironment) { $1 }
        wise = WiseProcess(environment: env, workingDirectory: root)
    }

    /// Runs `wise` with `--store` pointing at this workspace's store where the command takes one.
    @discardableResult
    func run(_ arguments: [String]) async throws -> WiseProcess.Result { try await wise.run(arguments) }

    func path(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// A digest of the store's rows, or "absent" when there is no store file.
    func storeDigest() throws -> String {
        guard FileManager.default.fileExists(atPath: storePath) else { return "absent" }
        return try ResultsStore(path: storePath, create: false).contentDigest()
    }

    /// Writes official-format score files for a set: one JSONL per domain, random scores, some ids left out.
    func writeScoreFiles(set: PromptSet, scoringProtocol: ScoringProtocol, leaveOut: Set<Int>, seed: UInt64, into folder: String) throws -> [URL] {
        let loaded = try catalogue.load(set)
        var rng = SplitMix(seed: seed)
        let dir = path(folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var urls: [URL] = []
        for domain in ["cultural_common_sense", "spatio-temporal_reasoning", "natural_science"] {
            var text = ""
            for prompt in loaded.prompts where prompt.domain == domain && !leaveOut.contains(prompt.id) {
                let scores: String
                if scoringProtocol == .legacy {
                    scores = "\"consistency\": \(rng.next() % 3).0, \"realism\": \(rng.next() % 3).0, \"aesthetic_quality\": \(rng.next() % 3).0"
                } else {
                    scores = "\"score\": \(rng.next() % 2)"
                }
                text += "{\"prompt_id\": \(prompt.id), \"Subcategory\": \(jsonString(prompt.subcategory)), \(scores)}\n"
            }
            let url = dir.appendingPathComponent("\(domain)_scores_results.jsonl")
            try Data(text.utf8).write(to: url)
            urls.append(url)
        }
        return urls
    }
}

/// Kills a running `wise` with SIGKILL as soon as its store shows some progress; true when the kill
/// landed while it was still working.
func killWhen(_ process: Process, storePath: String, _ condition: @escaping @Sendable ((images: Int, judgments: Int)) -> Bool) async throws -> Bool {
    let landed = try await onOwnThread { () -> Bool in
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if let counts = ResultsStore.peekCounts(atPath: storePath), condition(counts) {
                kill(process.processIdentifier, SIGKILL)
                return true
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }
    try await onOwnThread { process.waitUntilExit() }
    return landed && process.terminationReason == .uncaughtSignal
}
