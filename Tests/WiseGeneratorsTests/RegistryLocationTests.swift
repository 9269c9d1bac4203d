import Foundation
import Testing
import WiseCore
import TestSupport
@testable import WiseGenerators

/// Where `wise` finds its model registry and workers: an install prefix, a source checkout, the
/// current folder or `WISE_MODELS`.
@Suite struct RegistryLocationTests {
    /// Lays out PREFIX/bin/wise and PREFIX/share/wise/{models/registry.json, workers/*.py} as
    /// tools/install.sh does; returns the prefix.
    func makePrefix(in dir: URL) throws -> URL {
        let prefix = dir.appendingPathComponent("prefix")
        let fm = FileManager.default
        for folder in ["bin", "share/wise/models", "share/wise/workers"] {
            try fm.createDirectory(at: prefix.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Data("#!/bin/sh\n".utf8).write(to: prefix.appendingPathComponent("bin/wise"))
        try fm.copyItem(at: TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json"),
                        to: prefix.appendingPathComponent("share/wise/models/registry.json"))
        for worker in ["diffusers_worker.py", "transformers_worker.py", "wise_protocol.py"] {
            try Data().write(to: prefix.appendingPathComponent("share/wise/workers/\(worker)"))
        }
        return prefix
    }

    @Test func anInstalledWiseFindsTheRegistryAndWorkersUnderItsPrefix() throws {
        // Given an install under a prefix and a current folder with no registry
        let dir = try TempDirectory.make("prefix")
        let prefix = try makePrefix(in: dir)
        let elsewhere = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        // When the executable PREFIX/bin/wise looks for its registry
        let url = try ModelRegistry.locate(environment: [:], executable: prefix.appendingPathComponent("bin/wise"), currentDirectory: elsewhere)
        // Then it is PREFIX/share/wise/models/registry.json, and worker scripts resolve beside it
        #expect(url.path == prefix.appendingPathComponent("share/wise/models/registry.json").path)
        let registry = try ModelRegistry.load(from: url)
        let command = registry.workerCommand(for: try registry.model(named: "sdxl"))
        #expect(command.first == "python3")
        #expect(command[1] == prefix.appendingPathComponent("share/wise/workers/diffusers_worker.py").path)
        #expect(registry.python == nil)
    }

    @Test func aWorkerUsesTheInstallsVirtualEnvironmentWhenItHasOne() throws {
        // Given an install whose share/wise holds the venv tools/install.sh creates
        let dir = try TempDirectory.make("venv")
        let prefix = try makePrefix(in: dir)
        let bin = prefix.appendingPathComponent("share/wise/venv/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let python = bin.appendingPathComponent("python3")
        try Data("#!/bin/sh\n".utf8).write(to: python)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        // When a worker model's command is made
        let registry = try ModelRegistry.load(from: prefix.appendingPathComponent("share/wise/models/registry.json"))
        let sdxl = try registry.model(named: "sdxl")
        // Then python3 is the venv's, while the recorded form still says python3
        #expect(registry.workerCommand(for: sdxl).first == python.path)
        #expect(registry.workerCommand(for: sdxl, resolvingPaths: false).prefix(2) == ["python3", "workers/diffusers_worker.py"])
        // And a command model's argv is left as its author wrote it
        #expect(try registry.model(named: "janusflow-1.3b").argv?.first == "python3")
    }

    @Test func aBuildInTheCheckoutFindsTheRepositorysRegistry() throws {
        // Given the release binary's place in this checkout and an unrelated current folder
        let root = TestCatalogue.repositoryRoot
        let exe = root.appendingPathComponent(".build/x86_64-unknown-linux-gnu/release/wise")
        let elsewhere = try TempDirectory.make("cwd")
        // When it looks for its registry
        let url = try ModelRegistry.locate(environment: [:], executable: exe, currentDirectory: elsewhere)
        // Then it is the repository's
        #expect(url.path == root.appendingPathComponent("models/registry.json").standardizedFileURL.path)
    }

    @Test func wiseModelsAndTheCurrentFolderComeBeforeTheInstall() throws {
        // Given an install and a current folder that has a registry of its own
        let dir = try TempDirectory.make("order")
        let prefix = try makePrefix(in: dir)
        let here = dir.appendingPathComponent("here")
        try FileManager.default.createDirectory(at: here.appendingPathComponent("models"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: here.appendingPathComponent("models/registry.json"))
        let exe = prefix.appendingPathComponent("bin/wise")
        // Then WISE_MODELS wins, then the current folder
        #expect(try ModelRegistry.locate(environment: ["WISE_MODELS": "/x/r.json"], executable: exe, currentDirectory: here).path == "/x/r.json")
        #expect(try ModelRegistry.locate(environment: [:], executable: exe, currentDirectory: here).path
                == here.appendingPathComponent("models/registry.json").path)
        // And an empty WISE_MODELS counts as unset
        #expect(try ModelRegistry.locate(environment: ["WISE_MODELS": ""], executable: exe, currentDirectory: dir).path
                == prefix.appendingPathComponent("share/wise/models/registry.json").path)
    }

    @Test func noRegistryNamesEveryFolderItLookedIn() throws {
        // Given an executable with nothing installed beside it
        let dir = try TempDirectory.make("none")
        let exe = dir.appendingPathComponent("bin/wise")
        // When it looks for its registry
        let error = #expect(throws: FileError.self) {
            try ModelRegistry.locate(environment: [:], executable: exe, currentDirectory: dir)
        }
        // Then the message names the prefix folder it expected and how to fix it
        #expect(error?.kind == .missingInput)
        #expect(error?.message.contains(dir.appendingPathComponent("share/wise/models").path) == true)
        #expect(error?.message.contains("WISE_MODELS") == true)
    }

    @Test func theRunningProgramIsFoundByItsRealPath() throws {
        // Given this test process
        let exe = try #require(ModelRegistry.runningExecutable())
        // Then its path is absolute and names no symbolic link
        #expect(exe.path.hasPrefix("/"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: exe.path)) == nil)
    }
}
