import Foundation
import Testing
import WiseCore
import TestSupport
@testable import WiseGenerators

/// The registry covers both official WISE boards: every row of `leadboard.md` (verified) and of
/// the tables in `WISE_legacy/README.md` (legacy) is some entry's `published` name, and every
/// `published` name is a row of its board.
@Suite struct RegistryBoardTests {
    /// The two board files in the official copy beside the repository, where both are there.
    static let boardFiles: (verified: URL, legacy: URL)? = {
        guard let dir = TestCatalogue.officialDirectory?.appendingPathComponent("official") else { return nil }
        let verified = dir.appendingPathComponent("leadboard.md"), legacy = dir.appendingPathComponent("WISE_legacy/README.md")
        let fm = FileManager.default
        return fm.fileExists(atPath: verified.path) && fm.fileExists(atPath: legacy.path) ? (verified, legacy) : nil
    }()
    static let boardReason = Comment(rawValue: Tools.Reason.officialFiles + ", with official/leadboard.md and official/WISE_legacy/README.md")

    /// The repository's registry.
    func repositoryRegistry() throws -> ModelRegistry {
        try ModelRegistry.load(from: TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json"))
    }

    @Test(.enabled(if: boardFiles != nil, boardReason))
    func everyRowOfBothBoardsIsOneRegistryEntrysPublishedName() throws {
        // Given the row names of both official boards, read from their files
        let files = try #require(Self.boardFiles)
        let verified = try PublishedBoard.parse(Data(contentsOf: files.verified), label: "leadboard.md").rows.map(\.model)
        let legacy = try PublishedBoard.parse(Data(contentsOf: files.legacy), label: "WISE_legacy/README.md").rows.map(\.model)
        #expect(verified.count == 23, "\(verified)")
        #expect(legacy.count >= 30 && legacy.contains("LongCat-Image") && legacy.contains("vila-u-7b-256"), "\(legacy)")
        let rows = Set(verified.map { "verified: \($0)" } + legacy.map { "legacy: \($0)" })
        // When the registry's published names are gathered
        let registry = try repositoryRegistry()
        let published = registry.models.flatMap { model in (model.published ?? []).map { (model: model.name, row: $0) } }
        // Then every board row is claimed by exactly one entry, and no entry names a row the boards lack
        for row in rows.sorted() {
            let claims = published.filter { $0.row == row }.map(\.model)
            #expect(claims.count == 1, "\(row) is claimed by \(claims.isEmpty ? "no registry entry" : claims.joined(separator: ", "))")
        }
        for claim in published where !rows.contains(claim.row) {
            Issue.record("\(claim.model) publishes '\(claim.row)', which is not a row of that board")
        }
    }

    @Test func bagelsThinkingModeIsRecordedInTwoEntries() throws {
        // Given the repository's registry
        let registry = try repositoryRegistry()
        // Then BAGEL without thinking reproduces the plain rows, and with thinking the CoT row
        let plain = try registry.model(named: "bagel-7b"), thinking = try registry.model(named: "bagel-7b-think")
        #expect(plain.options?["think"] == .bool(false) && thinking.options?["think"] == .bool(true))
        #expect(plain.published == ["verified: Bagel", "legacy: BAGEL"] && thinking.published == ["verified: BAGEL (w/ CoT)"])
        #expect(plain.modelID == thinking.modelID && plain.settings == thinking.settings)
        // And the mode is the only difference between the two: one worker, the same options but think
        var unthinking = thinking.options ?? [:]
        unthinking["think"] = .bool(false)
        #expect(plain.options == unthinking)
        #expect(plain.adapter == "worker" && plain.worker == "bagel" && thinking.worker == "bagel")
        #expect(registry.workerCommand(for: plain, resolvingPaths: false) == registry.workerCommand(for: thinking, resolvingPaths: false))
        #expect(registry.workerCommand(for: plain, resolvingPaths: false).prefix(2) == ["python3", "workers/bagel_worker.py"])
    }

    @Test func theBoardsUnreleasedModelsFailWithOneLineInsteadOfRunning() throws {
        // Given the registry's entries for models whose weights are not public
        let registry = try repositoryRegistry()
        let unreleased = registry.models.filter { $0.modelID.hasPrefix("not-public/") }
        #expect(Set(unreleased.map(\.name)) == ["manzano-3b", "manzano-30b", "nextflow-rl", "uniworld-v2"])
        for model in unreleased {
            // When its placeholder argv runs (with {out} filled in, as the command adapter does)
            let argv = try #require(model.argv).map { $0.replacingOccurrences(of: "{out}", with: "/nonexistent/out.png") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = argv
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // Then it exits non-zero with one line naming the model and why
            #expect(process.terminationStatus == 2)
            #expect(text.hasPrefix("\(model.name) cannot run: ") && text.split(separator: "\n").count == 1, "\(text)")
            #expect(model.notes?.contains("placeholder") == true)
        }
    }

    @Test func aPublishedNameWithoutAKnownBoardIsRefusedWithOneLine() throws {
        // Given a registry whose model misspells the board of a published name
        let dir = try TempDirectory.make("published")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("models/registry.json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(#"""
            {"default": "m", "workers": {}, "models": [
              {"name": "m", "family": "f", "adapter": "command", "model_id": "x", "argv": ["true", "{out}"], "published": ["verifed: FLUX.1-dev"]}]}
            """#.utf8).write(to: url)
        // When it is loaded
        // Then the error names the file, the model and the bad name, and shows the right form
        let error = try #require(throws: DataError.self) { try ModelRegistry.load(from: url) }
        #expect("\(error)".contains("model m has published name 'verifed: FLUX.1-dev'"))
        #expect("\(error)".contains(#"write e.g. "verified: FLUX.1-dev""#) && !"\(error)".contains("\n"))
        // And the parts of a well-formed name are its board and row
        #expect(ModelRegistry.boardRow("legacy: Hunyuan-Image 3.0").map { [$0.board, $0.row] } == ["legacy", "Hunyuan-Image 3.0"])
        #expect(ModelRegistry.boardRow("verified:") == nil && ModelRegistry.boardRow("FLUX.1-dev") == nil)
    }

}
