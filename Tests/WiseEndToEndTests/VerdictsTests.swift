import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Judges across runs through the `wise` binary: the shared judge named on stderr, `--judge`
/// refusals in one line, the judges column of `wise runs`, and `wise verdicts delete`.
@Suite struct VerdictsTests {
    @Test func reportNamesTheSharedJudgeAndVerdictsDeleteAsksForYes() async throws {
        // Given two runs imported from official score files
        let ws = try Workspace(label: "verdicts")
        for (name, seed) in [("imp1", 3), ("imp2", 4)] {
            let scores = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: UInt64(seed), into: "scores-\(name)")
            #expect(try await ws.run(["import", name, "--set", "verified", "--protocol", "verified", "--store", ws.storePath] + scores.map(\.path)).status == 0)
        }
        // When both are reported / Then the board is made and stderr says which judge they share
        let report = try await ws.run(["report", "imp1", "imp2", "--resamples", "50", "--store", ws.storePath])
        #expect(report.status == 0 && report.stderr.contains("which all 2 runs share"), "\(report.stderr)")
        // When --judge names no judge / Then one line lists the run's judges
        let unknown = try await ws.run(["report", "imp1", "imp2", "--judge", "nosuch", "--store", ws.storePath])
        #expect(unknown.status == 64 && unknown.errorLines.count == 1 && unknown.stderr.contains("has no judge matching --judge nosuch; its judges: "), "\(unknown.stderr)")
        // When the runs are listed / Then each has one judge
        let runs = try await ws.run(["runs", "--store", ws.storePath])
        #expect(runs.status == 0 && runs.stdout.contains("judges"), "\(runs.stdout)")
        let before = try ws.storeDigest()
        // When one run's verdicts are deleted without --yes / Then nothing changes and one line says how to
        let asked = try await ws.run(["verdicts", "delete", "imp1", "--judge", "import", "--store", ws.storePath])
        #expect(asked.status == 64 && asked.errorLines.count == 1 && asked.stderr.contains("this would delete 1000 verdicts"), "\(asked.stderr)")
        #expect(try ws.storeDigest() == before)
        // When confirmed / Then run imp1 keeps its images and has no judge left, and imp2 is untouched
        let deleted = try await ws.run(["verdicts", "delete", "imp1", "--judge", "import", "--yes", "--store", ws.storePath])
        #expect(deleted.status == 0 && deleted.stderr.contains("deleted 1000 verdicts"), "\(deleted.stderr)")
        let store = try ResultsStore(path: ws.storePath, access: .readOnly)
        #expect(try store.judges(of: try store.requireRun("imp1")).isEmpty)
        #expect(try store.imageRows(run: try store.requireRun("imp1")).count == 1000)
        #expect(try store.judges(of: try store.requireRun("imp2")).map(\.judgments) == [1000])
    }
}
