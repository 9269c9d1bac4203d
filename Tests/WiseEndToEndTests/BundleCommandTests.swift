import Foundation
import Testing
import WiseCore
import TestSupport

/// `wise bundle`, `wise verify` and `wise import BUNDLE` driven as a user would, on official-format scores.
@Suite struct BundleCommandTests {
    @Test func aBundleOfImportedScoresVerifiesAndImportsWithTheSameBoard() async throws {
        // Given a full legacy run imported from official-format score files
        let ws = try Workspace()
        let files = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [5, 600], seed: 7, into: "scores")
        let imported = try await ws.run(["import", "m", "--set", "legacy", "--protocol", "legacy", "--store", ws.storePath] + files.map(\.path))
        #expect(imported.status == 0, "\(imported.stderr)")
        // When it is bundled, verified and imported into another store
        let bundle = ws.path("m.bundle").path
        let written = try await ws.run(["bundle", "m", "--out", bundle, "--store", ws.storePath])
        #expect(written.status == 0 && written.stdout.contains("wrote bundle"), "\(written.stderr)")
        let verified = try await ws.run(["verify", bundle])
        #expect(verified.status == 0 && verified.stdout.contains("998 judgments"), "\(verified.stdout)\(verified.stderr)")
        let other = ws.path("other.sqlite").path
        let back = try await ws.run(["import", bundle, "--as", "m2", "--store", other])
        #expect(back.status == 0, "\(back.stderr)")
        // Then both stores report the same board
        let a = try await ws.run(["report", "m", "--format", "json", "--store", ws.storePath])
        let b = try await ws.run(["report", "m2", "--format", "json", "--store", other])
        let runA = try ReportJSON.decode(a.stdout).runs[0], runB = try ReportJSON.decode(b.stdout).runs[0]
        #expect(runA.overall == runB.overall && runA.scored == 998 && runB.scored == 998)
        // And a score file edited by one byte makes verify exit 65, naming the file, and import refuse
        let scoreFile = try #require(try FileManager.default.contentsOfDirectory(atPath: bundle + "/scores").sorted().first)
        let url = URL(fileURLWithPath: bundle + "/scores/" + scoreFile)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: url)
        let bad = try await ws.run(["verify", bundle])
        #expect(bad.status == 65 && bad.stdout.contains("scores/\(scoreFile)"), "\(bad.stdout)")
        let refused = try await ws.run(["import", bundle, "--as", "m3", "--store", other])
        #expect(refused.status == 65 && refused.stderr.contains("does not verify"))
        // And a score-file import still needs --set and --protocol
        let missing = try await ws.run(["import", "m4", files[0].path, "--store", other])
        #expect(missing.status == 64 && missing.stderr.contains("--set and --protocol"))
    }
}
