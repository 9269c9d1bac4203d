import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// Exit statuses that tell the truth: failed images, runs with nothing to judge, a store merged into itself,
/// and a colleague's store in a folder the user cannot write.
struct ExitStatusTests {
    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func generateAndJudgeJudgesWhatWasMadeThenEndsIncomplete() async throws {
        // Given a worker that refuses prompt 3 and a loopback judge
        let ws = try Workspace(label: "gen-judge-75", extraEnvironment: ["WISE_TEST_KEY": "sk-test-0123456789abcdef"])
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        // When `wise run` generates ids 1-4 and judges them
        let result = try await ws.run(["run", "g", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command("--fail-on 3"),
                                       "--ids", "1-4", "--out", ws.path("img").path,
                                       "--judge", "openai", "--base-url", server.baseURL, "--judge-model", server.configuration.model,
                                       "--api-key-env", "WISE_TEST_KEY", "--store", ws.storePath])
        // Then the three images made are judged, and the command still exits 75 naming the failed sample
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.errorLines.last?.contains("1 of 4 images failed (prompt 3 sample 0: ") == true, "\(result.stderr)")
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.judgmentRows(run: try store.requireRun("g")).filter { $0.status == .ok }.count == 3)
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func aGenerationWhoseImagesAllFailedDoesNotLookSuccessful() async throws {
        // Given a worker that refuses prompt 3 (as a cluster shard whose every image fails)
        let ws = try Workspace(label: "shard-75")
        // When prompt 3 is generated with two samples
        let result = try await ws.run(["generate", "s", "--set", "verified", "--generator", "worker",
                                       "--worker-cmd", TinyWorker.command("--fail-on 3"),
                                       "--ids", "3", "--samples", "2", "--out", ws.path("img").path, "--store", ws.storePath])
        // Then it exits 75 after its summary, saying every image of the shard failed
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("0 images made, 0 already made, 2 failed"), "\(result.stderr)")
        #expect(result.errorLines.last?.contains("2 of 2 images failed") == true, "\(result.stderr)")
    }

    @Test(.enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func judgingARunWithNoUsableImageSaysSo() async throws {
        // Given a run whose only images (prompt 3, two samples) failed to generate, so both rows are missing
        let ws = try Workspace(label: "judge-none")
        let generated = try await ws.run(["generate", "x", "--set", "verified", "--generator", "worker", "--worker-cmd", TinyWorker.command("--fail-on 3"),
                                          "--ids", "3", "--samples", "2", "--out", ws.path("img").path, "--store", ws.storePath])
        #expect(generated.status == 75, "\(generated.stderr)")
        // When it is judged (by a server that is not there: nothing may be sent)
        let judge = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--store", ws.storePath]
        let judged = try await ws.run(["judge", "x"] + judge)
        // Then it exits 65 in one line, saying the images are registered but none is usable, and why
        #expect(judged.status == 65, "\(judged.stderr)")
        #expect(judged.errorLines.count == 1 && judged.stderr.contains("run 'x' has 2 images registered but none usable, e.g. prompt 3 sample 0: "), "\(judged.stderr)")
        #expect(!judged.stderr.contains("no judges matching") && !judged.stderr.contains("cannot reach"))

        // When prompts with no image row at all are judged / Then it exits 66, saying none is registered
        let none = try await ws.run(["judge", "x", "--ids", "5-6"] + judge)
        #expect(none.status == 66 && none.errorLines.count == 1 && none.stderr.contains("run 'x' has no images registered among the selected prompts"), "\(none.stderr)")
    }

    @Test func mergingAStoreIntoItselfIsAUsageError() async throws {
        // Given a store, a symlink to it, and a folder to spell `..` through
        let ws = try Workspace(label: "merge-self")
        let folder = ws.path("imgs")
        try ImageFixtures.writeFolder(folder, ids: 1...3)
        #expect(try await ws.run(["run", "r", "--set", "verified", "--images", folder.path, "--store", ws.storePath]).status == 0)
        let link = ws.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: ws.storePath)
        let digest = try ResultsStore(path: ws.storePath, create: false).contentDigest()
        // When the store is merged into itself through a symlink, a `..` spelling and a relative path
        for source in [link.path, ws.path("imgs/../results/wise.sqlite").path, "results/wise.sqlite"] {
            let merged = try await ws.run(["merge", source, "--into", ws.storePath])
            // Then each is refused in one line as the store being merged into, with exit 64, and nothing changes
            #expect(merged.status == 64 && merged.errorLines.count == 1 && merged.stderr.contains("is the store being merged into"), "\(source): \(merged.stderr)")
            #expect(!merged.stderr.contains("busy"))
        }
        #expect(try ResultsStore(path: ws.storePath, create: false).contentDigest() == digest)
    }

    /// Root may write anywhere; running the binary as `nobody` (setpriv) is the real unwritable folder.
    static var canDropToNobody: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    @Test(.enabled(if: canDropToNobody, "needs root and /usr/bin/setpriv to run wise as nobody"))
    func aColleaguesStoreInAFolderTheUserCannotWriteIsReadable() async throws {
        // Given a store written and closed by its owner (root) in folders only the owner may write
        let ws = try Workspace(label: "colleague")
        let folder = ws.path("imgs")
        try ImageFixtures.writeFolder(folder, ids: 1...3)
        #expect(try await ws.run(["run", "c", "--set", "verified", "--images", folder.path, "--store", ws.storePath]).status == 0)
        for dir in [ws.root.path, ws.path("results").path] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: ws.storePath)
        #expect(!FileManager.default.fileExists(atPath: ws.storePath + "-shm"))
        // When another user (nobody) lists its runs and reports it
        func asNobody(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            let environment = ws.wise.environment.merging(["HOME": "/nonexistent"]) { $1 }
            return try await onOwnThread {
                let out = Pipe(), err = Pipe()
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", WiseProcess.binary.path] + arguments
                process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WISE_") }.merging(environment) { $1 }
                process.currentDirectoryURL = URL(fileURLWithPath: "/")
                process.standardOutput = out
                process.standardError = err
                try process.run()
                let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
            }
        }
        let runs = try await asNobody(["runs", "--store", ws.storePath])
        let report = try await asNobody(["report", "c", "--store", ws.storePath])
        // Then both read the store (immutable: no -shm could be made), and nothing was written beside it
        #expect(runs.status == 0 && runs.stdout.contains("c"), "\(runs.stderr)")
        #expect(report.status == 0, "\(report.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath + "-shm"))
    }
}
