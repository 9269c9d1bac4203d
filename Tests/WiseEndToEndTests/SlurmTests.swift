import Foundation
import Testing
import TestSupport

/// The `deploy/slurm` scripts on a real single-node Slurm cluster: 4 shards of generate + judge,
/// then the dependent merge + report job; the merged store must equal one unsharded run.
///
/// The work is done by `Tests/slurm/run_slurm_test.sh` (it starts and stops the daemons by PID,
/// bounds every wait and compares the stores item for item); this test runs it with the `wise`
/// and `wise-bench` binaries of this build. It needs root and Debian's slurmctld, slurmd and
/// slurm-client (`.ci/run` installs them); without them it is skipped, and says so.
@Suite struct SlurmTests {
    @Test(.enabled(if: Tools.hasSlurm, Comment(rawValue: Tools.Reason.slurm)))
    func shardedRunOnSlurmEqualsOneUnshardedRun() async throws {
        let root = TestCatalogue.repositoryRoot
        let bin = WiseProcess.binary.deletingLastPathComponent()
        var env = ProcessInfo.processInfo.environment
        env["WISE_BIN"] = bin.appendingPathComponent("wise").path
        env["WISE_BENCH_BIN"] = bin.appendingPathComponent("wise-bench").path
        let (status, data) = try await ExternalProcess.run("bash", [root.appendingPathComponent("Tests/slurm/run_slurm_test.sh").path],
                                                           environment: env, mergeStderr: true)
        let output = String(decoding: data, as: UTF8.self)
        // Then it passed with the real binary, every item equal
        #expect(status == 0, "\(output)")
        #expect(output.contains("items equal (image hashes and judgments)") && output.contains("PASS"), "\(output)")
    }
}
