import Foundation
import Testing
import TestSupport

/// The `deploy/slurm` scripts on a real single-node Slurm cluster: 4 shards of generate + judge of
/// 40 selected ids (`--ids`, made by the command adapter), then the dependent merge + report job;
/// every image must be judged and the merged store must equal one unsharded run. Run twice: with
/// the ids given to the recipe (which passes them to generate and judge), and given to the
/// generator alone (the judge then judges what each shard's generation pass asked for).
///
/// The work is done by `Tests/slurm/run_slurm_test.sh` (it starts and stops the daemons by PID,
/// bounds every wait and compares the stores item for item); this test runs it with the `wise`
/// and `wise-bench` binaries of this build. It needs root and Debian's slurmctld, slurmd and
/// slurm-client (`.ci/run` installs them); without them it is skipped, and says so.
@Suite(.serialized) struct SlurmTests {
    @Test(.enabled(if: Tools.hasSlurm, Comment(rawValue: Tools.Reason.slurm)))
    func shardedRunOnSlurmEqualsOneUnshardedRun() async throws {
        for idsIn in ["recipe", "gen"] { try await runOnSlurm(idsIn: idsIn) }
    }

    /// `deploy/slurm/submit-board.sh`: a board spec of three command models, each 2 shards and a
    /// merge, then the board job that waits on all three merges; the board store equals `wise board
    /// run` of the same spec on one machine item for item, and the reports agree.
    @Test(.enabled(if: Tools.hasSlurm, Comment(rawValue: Tools.Reason.slurm)))
    func aBoardOnSlurmEqualsTheBoardRunOnOneMachine() async throws {
        let output = try await runScript(["SLURM_TEST_WHAT": "board"])
        #expect(output.contains("board of 3 runs × 10 prompts, every image judged; 30 items equal to the local board; reports' scores equal")
                && output.contains("PASS"), "\(output)")
    }

    /// Given a fresh cluster and the ids in the recipe or in GEN_ARGS, when the script submits and compares.
    func runOnSlurm(idsIn: String) async throws {
        let output = try await runScript(["SLURM_TEST_IDS_IN": idsIn])
        // Then it passed with the real binary, every image of the 40 ids judged, every item equal
        #expect(output.contains("ids 3…420 (40 prompts), every image judged; 40 items equal (image hashes and judgments)")
                && output.contains("PASS"), "ids in \(idsIn): \(output)")
    }

    /// Runs `Tests/slurm/run_slurm_test.sh` with this build's binaries and `extra` in its environment;
    /// expects exit 0 and returns what it printed.
    func runScript(_ extra: [String: String]) async throws -> String {
        let root = TestCatalogue.repositoryRoot
        let bin = WiseProcess.binary.deletingLastPathComponent()
        var env = ProcessInfo.processInfo.environment
        // The test catalogue: the official files beside the repository, or a synthetic one of the
        // same shape (a clean clone elsewhere has no ../shared/wise).
        env.merge(try TestCatalogue.make().environment) { $1 }
        env["WISE_BIN"] = bin.appendingPathComponent("wise").path
        env["WISE_BENCH_BIN"] = bin.appendingPathComponent("wise-bench").path
        env.merge(extra) { $1 }
        env.removeValue(forKey: "IDS")
        let (status, data) = try await ExternalProcess.run("bash", [root.appendingPathComponent("Tests/slurm/run_slurm_test.sh").path],
                                                           environment: env, mergeStderr: true)
        let output = String(decoding: data, as: UTF8.self)
        #expect(status == 0, "\(extra): \(output)")
        return output
    }
}
