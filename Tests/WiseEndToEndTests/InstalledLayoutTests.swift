import Foundation
import Testing
import TestSupport

/// `wise` copied out of the build folder into an install prefix, as tools/install.sh does, and
/// reached through a symbolic link on PATH.
@Suite struct InstalledLayoutTests {
    @Test func anInstalledWiseListsTheRegistryOfItsPrefix() async throws {
        // Given PREFIX/bin/wise, PREFIX/share/wise/{models,workers}, a link to the binary in another
        // folder, and a current folder with no registry
        let dir = try TempDirectory.make("installed").resolvingSymlinksInPath()
        let prefix = dir.appendingPathComponent("prefix")
        let fm = FileManager.default
        for folder in ["bin", "share/wise/models", "share/wise/workers", "path", "cwd"] {
            let base = folder == "path" || folder == "cwd" ? dir : prefix
            try fm.createDirectory(at: base.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try fm.copyItem(at: WiseProcess.binary, to: prefix.appendingPathComponent("bin/wise"))
        let root = TestCatalogue.repositoryRoot
        try fm.copyItem(at: root.appendingPathComponent("models/registry.json"), to: prefix.appendingPathComponent("share/wise/models/registry.json"))
        try fm.copyItem(at: root.appendingPathComponent("workers/diffusers_worker.py"), to: prefix.appendingPathComponent("share/wise/workers/diffusers_worker.py"))
        let link = dir.appendingPathComponent("path/wise")
        try fm.createSymbolicLink(at: link, withDestinationURL: prefix.appendingPathComponent("bin/wise"))
        defer { try? fm.removeItem(at: dir) }

        // When `wise models list` runs through the link
        let process = Process()
        process.executableURL = link
        process.arguments = ["models", "list"]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WISE_") }
        process.currentDirectoryURL = dir.appendingPathComponent("cwd")
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // Another test may fork while the copy's write descriptor is open; its child holds the
        // descriptor until it execs, and exec of the copy fails with ETXTBSY meanwhile. Retry briefly.
        var tries = 0
        while true {
            do { try process.run(); break } catch let error as NSError where tries < 50 && "\(error)".contains("Text file busy") {
                tries += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let (stdout, stderr) = try await onOwnThread { () -> (String, String) in
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }

        // Then it finds the prefix's registry (not the checkout's) and lists its models
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stdout.contains("registry \(prefix.path)/share/wise/models/registry.json"), "\(stdout)")
        #expect(stdout.contains("sdxl"))
    }
}
