import Foundation
import Testing
import WiseCore
import TestSupport

/// `wise catalogue fetch`: over HTTP from a loopback server, or from a folder; verified, all or nothing.
@Suite struct CatalogueFetchTests {
    /// A folder laid out like the official repository (WISE_legacy/data/, data_verified/).
    func repositoryMirror(_ catalogue: TestCatalogue, corrupt: String? = nil) throws -> URL {
        let root = try TempDirectory.make("mirror")
        let files: [any PinnedFile] = try catalogue.manifest.pinnedFiles(for: PromptSet.allCases)
        for file in files {
            let target = root.appendingPathComponent(file.source)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            var data = try Data(contentsOf: catalogue.directory.appendingPathComponent(file.path))
            if file.path == corrupt { data[data.count / 3] ^= 0x01 }
            try data.write(to: target)
        }
        return root
    }

    /// A workspace that reads the catalogue from the cache only (no WISE_DATA).
    func cacheOnlyWorkspace() throws -> (Workspace, WiseProcess) {
        let ws = try Workspace(label: "fetch")
        var env = ws.catalogue.environment
        env.removeValue(forKey: "WISE_DATA")
        env["WISE_CACHE"] = ws.path("cache").path
        return (ws, WiseProcess(environment: env, workingDirectory: ws.root))
    }

    @Test func downloadsOverHTTPAndVerifies() async throws {
        // Given a loopback server laid out like the official repository
        let (ws, wise) = try cacheOnlyWorkspace()
        let server = try LoopbackHTTPServer(handler: LoopbackHTTPServer.files(root: repositoryMirror(ws.catalogue)))
        defer { server.stop() }
        // When nothing is cached yet / Then loading a set says how to get it
        let before = try await wise.run(["catalogue", "stats", "--set", "verified"])
        #expect(before.status == 66 && before.stderr.contains("run `wise catalogue fetch`"))
        // When fetched
        let fetched = try await wise.run(["catalogue", "fetch", "--base-url", server.baseURL + "/"])
        // Then the nine prompt files, the two official evaluators and the two boards arrive, checked, and every set loads from the cache
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.split(separator: "\n").filter { $0.hasPrefix("fetched ") }.count == 13)
        #expect(fetched.stdout.contains("official/vllm_eval.py") && fetched.stdout.contains("official/WISE_legacy/gpt_eval.py"))
        #expect(server.requestCount == 13)
        let stats = try await wise.run(["catalogue", "stats", "--set", "verified"])
        #expect(stats.status == 0 && stats.stdout.hasPrefix("set verified: 1000 prompts"))
        // And a second fetch downloads nothing
        let again = try await wise.run(["catalogue", "fetch", "--base-url", server.baseURL + "/"])
        #expect(again.status == 0 && server.requestCount == 13)
        #expect(again.stdout.split(separator: "\n").filter { $0.hasPrefix("present ") }.count == 13)
    }

    @Test func aCorruptEvaluatorWritesNothing() async throws {
        // Given a mirror whose verified evaluator script has one flipped byte
        let (ws, wise) = try cacheOnlyWorkspace()
        let server = try LoopbackHTTPServer(handler: LoopbackHTTPServer.files(root: repositoryMirror(ws.catalogue, corrupt: "official/vllm_eval.py")))
        defer { server.stop() }
        // When fetched / Then one line names the script and its checksums, and the cache holds nothing
        let result = try await wise.run(["catalogue", "fetch", "--base-url", server.baseURL])
        #expect(result.status == 65 && result.errorLines.count == 1 && result.stderr.contains("official/vllm_eval.py"), "\(result.stderr)")
        let cached = FileManager.default.enumerator(atPath: ws.path("cache").path)?.allObjects as? [String] ?? []
        #expect(!cached.contains { $0.hasSuffix(".json") || $0.hasSuffix(".py") })
    }

    @Test func aCorruptDownloadWritesNothing() async throws {
        let (ws, wise) = try cacheOnlyWorkspace()
        let bad = "legacy/natural_science_rewrite.json"
        let server = try LoopbackHTTPServer(handler: LoopbackHTTPServer.files(root: repositoryMirror(ws.catalogue, corrupt: bad)))
        defer { server.stop() }
        let result = try await wise.run(["catalogue", "fetch", "--base-url", server.baseURL])
        #expect(result.status == 65 && result.errorLines.count == 1 && result.stderr.contains(bad))
        #expect(!FileManager.default.fileExists(atPath: ws.path("cache").path)
                || (FileManager.default.subpaths(atPath: ws.path("cache").path) ?? []).allSatisfy { !$0.hasSuffix(".json") })
    }

    @Test func aMissingFileOnTheServerWritesNothing() async throws {
        let (ws, wise) = try cacheOnlyWorkspace()
        let mirror = try repositoryMirror(ws.catalogue)
        try FileManager.default.removeItem(at: mirror.appendingPathComponent("data_verified/natural_science_verified.json"))
        let server = try LoopbackHTTPServer(handler: LoopbackHTTPServer.files(root: mirror))
        defer { server.stop() }
        let result = try await wise.run(["catalogue", "fetch", "--base-url", server.baseURL])
        #expect(result.status != 0 && result.errorLines.count == 1 && result.stderr.contains("HTTP 404"))
        #expect((FileManager.default.subpaths(atPath: ws.path("cache").path) ?? []).allSatisfy { !$0.hasSuffix(".json") })
    }

    @Test func aFlippedByteInTheSourceFolderNamesFileAndChecksums() async throws {
        // Given a copy of the catalogue folder with one flipped byte
        let (ws, wise) = try cacheOnlyWorkspace()
        let source = ws.path("copy")
        for sub in ["legacy", "verified", "official"] {
            try FileManager.default.copyItem(at: ws.catalogue.directory.appendingPathComponent(sub), to: source.appendingPathComponent(sub))
        }
        let bad = source.appendingPathComponent("legacy/spatio-temporal_reasoning.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: bad.path)
        var bytes = try Data(contentsOf: bad)
        bytes[1234] ^= 0x04
        try bytes.write(to: bad)
        // When fetched --from it
        let result = try await wise.run(["catalogue", "fetch", "--from", source.path])
        // Then one line names the file and both checksums, and the cache holds nothing
        let pinned = try ws.catalogue.manifest.entry(for: .legacy).files[1].sha256
        #expect(result.status == 65)
        #expect(result.errorLines == ["wise: legacy/spatio-temporal_reasoning.json from \(source.path): SHA-256 is \(SHA256.hex(bytes)), expected \(pinned) (the file at commit \(ws.catalogue.manifest.commit.prefix(7))); nothing was written"])
        #expect((FileManager.default.subpaths(atPath: ws.path("cache").path) ?? []).allSatisfy { !$0.hasSuffix(".json") })
    }

    /// Every file the manifest pins, copied into a new folder at its catalogue path (`../shared/wise`'s layout).
    func catalogueLayout(_ catalogue: TestCatalogue) throws -> URL {
        let root = try TempDirectory.make("layout")
        for file in try catalogue.manifest.pinnedFiles(for: PromptSet.allCases) {
            let target = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: catalogue.directory.appendingPathComponent(file.path), to: target)
        }
        return root
    }

    @Test(arguments: ["upstream", "catalogue"])
    func fetchesFromAFolderInEitherLayout(layout: String) async throws {
        // Given a folder laid out like a checkout of the official repository (WISE_legacy/data/,
        // data_verified/, vllm_eval.py, leadboard.md …) or like ../shared/wise (legacy/, verified/, official/)
        let (ws, wise) = try cacheOnlyWorkspace()
        let folder = layout == "upstream" ? try repositoryMirror(ws.catalogue) : try catalogueLayout(ws.catalogue)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(layout == "upstream" ? "data_verified" : "verified").path))
        // When fetched --from it
        let result = try await wise.run(["catalogue", "fetch", "--from", folder.path])
        // Then all 13 pinned files arrive, every set loads, and the published boards sit in the cache
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("fetched ") }.count == 13)
        let stats = try await wise.run(["catalogue", "stats", "--set", "legacy-rewrite"])
        #expect(stats.status == 0 && stats.stdout.hasPrefix("set legacy-rewrite: 1000 prompts"))
        let cache = CatalogueLocation(manifest: ws.catalogue.manifest, dataDirectory: nil, cacheRoot: ws.path("cache"))
        for p in ScoringProtocol.allCases { #expect(try cache.publishedBoard(for: p).rows.count >= 1) }
    }

    @Test(arguments: ["upstream", "catalogue"])
    func aFolderMissingFilesNamesEveryOneAndWhereItLooked(layout: String) async throws {
        // Given a folder in either layout without the two evaluator scripts and the legacy board
        let (ws, wise) = try cacheOnlyWorkspace()
        let folder = layout == "upstream" ? try repositoryMirror(ws.catalogue) : try catalogueLayout(ws.catalogue)
        let manifest = ws.catalogue.manifest
        let gone: [any PinnedFile] = (manifest.evaluators ?? []) + [try manifest.board(for: .legacy)]
        for file in gone {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(layout == "upstream" ? file.source : file.path))
        }
        // When fetched --from it
        let result = try await wise.run(["catalogue", "fetch", "--from", folder.path])
        // Then one line names exactly those three files, each with both places it was looked for, and nothing is written
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.errorLines.count == 1)
        let line = result.errorLines.first ?? ""
        #expect(line.hasPrefix("wise: \(folder.path) lacks 3 of the 13 files the manifest pins at commit \(manifest.commit.prefix(7)): "))
        for file in gone {
            #expect(line.contains("\(file.source) (looked for \(folder.path)/\(file.path) and \(folder.path)/\(file.source))"))
        }
        #expect(!line.contains(".json ("), "no prompt file is named missing")
        #expect(!FileManager.default.fileExists(atPath: ws.path("cache").path)
                || (FileManager.default.subpaths(atPath: ws.path("cache").path) ?? []).allSatisfy { !$0.hasSuffix(".json") && !$0.hasSuffix(".md") })
    }

    @Test func onlyTheChosenSetsFilesAreRequired() async throws {
        // Given an upstream-layout folder without any legacy file
        let (ws, wise) = try cacheOnlyWorkspace()
        let folder = try repositoryMirror(ws.catalogue)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("WISE_legacy"))
        // When only the verified set is fetched / Then its three files, its evaluator and its board arrive
        let result = try await wise.run(["catalogue", "fetch", "--from", folder.path, "--set", "verified"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("fetched ") }.count == 5)
    }
}
