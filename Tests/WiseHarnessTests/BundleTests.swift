import Foundation
import Testing
import TestSupport
import WiseCore
import WiseHarness
import WiseJudges
import WiseStore

/// `wise bundle` → `wise verify` → `wise import`: a judged run travels, is checked offline, and tampering is named.
@Suite struct BundleTests {
    /// A run of 12 registered images judged by a loopback judge, bundled into a new folder.
    struct Bundled {
        var store: ResultsStore
        var run: StoredRun
        var fixture: TestCatalogue
        var folder: URL
        var bundle: URL
        var location: CatalogueLocation
    }

    func bundled(hashesOnly: Bool = false) async throws -> Bundled {
        let given = try RegisteredRun(1...12, name: "flux", label: "bundle")
        let (fixture, dir, store, run) = (given.fixture, given.folder, given.store, given.run)
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .verified))
        defer { server.stop() }
        let options = try JudgeOptions.parse(["--base-url", server.baseURL, "--model", server.configuration.model, "--api-key-env", "K",
                                              "--retry-base-delay", "0.01", "--timeout", "5", "--progress-interval", "60"])
        var environment = fixture.environment
        environment["K"] = "sk-test-0123456789abcdef"
        let made = try options.makeJudge(scoringProtocol: .verified, environment: environment)
        try await Console.$sink.withValue(ConsoleRecorder()) { try await judgeRun(run, store: store, options: options, made: made) }
        let location = CatalogueLocation(manifest: fixture.manifest, dataDirectory: fixture.directory,
                                         cacheRoot: dir.appendingPathComponent("cache"))
        let bundle = dir.appendingPathComponent("flux.bundle")
        try RunBundle(store: store, run: "flux", judgeKey: nil, includeImages: !hashesOnly, location: location).write(to: bundle.path)
        return Bundled(store: store, run: run, fixture: fixture, folder: dir, bundle: bundle, location: location)
    }

    func verify(_ path: URL, _ b: Bundled) throws -> BundleVerifier.Report {
        try BundleVerifier(path: path.path, pinned: b.fixture.manifest).verify()
    }

    /// A copy of the bundle to tamper with.
    func copy(_ b: Bundled, _ label: String) throws -> URL {
        let target = b.folder.appendingPathComponent("tampered-\(label)")
        try FileManager.default.copyItem(at: b.bundle, to: target)
        return target
    }

    @Test func aJudgedRunBundlesVerifiesAndImportsIntoAnotherStore() async throws {
        // Given a judged run, bundled
        let b = try await bundled()
        // When the bundle is verified, with the judge gone
        let report = try verify(b.bundle, b)
        // Then nothing differs, and every judgment's reply was re-read
        #expect(report.findings.map(\.description) == [])
        #expect(report.judgments == 12 && report.repliesReread == 12)
        #expect(report.images == (try b.store.counts(of: b.run)).images)
        #expect(report.filesChecked > 12)
        // When it is imported into another store under another name
        let other = try ResultsStore(path: b.folder.appendingPathComponent("other.sqlite").path, create: true)
        var storeOptions = StoreOptions()
        storeOptions.store = other.path
        let recorder = ConsoleRecorder()
        try Console.$sink.withValue(recorder) {
            try BundleImport(path: b.bundle.path, name: "flux-copy", pinned: b.fixture.manifest).run(store: storeOptions)
        }
        // Then the imported run's board is the original's, and its images point into the bundle
        let original = try b.store.summary(of: b.run)
        let imported = try other.summary(of: try other.requireRun("flux-copy"))
        #expect(imported.score == original.score)
        #expect(imported.judge == original.judge)
        let paths = try other.imagePaths(of: try other.requireRun("flux-copy"))
        #expect(paths.count == 12 && paths.values.allSatisfy { $0.hasPrefix(b.bundle.standardizedFileURL.path + "/images/") })
        // And importing it again adds nothing
        try Console.$sink.withValue(ConsoleRecorder()) {
            try BundleImport(path: b.bundle.path, name: "flux-copy", pinned: b.fixture.manifest).run(store: storeOptions)
        }
        #expect(try other.judgmentRows(run: try other.requireRun("flux-copy")).count == 12)
    }

    @Test func aHashesOnlyBundleCarriesNoImagesAndStillVerifies() async throws {
        // Given a bundle written with --hashes-only
        let b = try await bundled(hashesOnly: true)
        // Then it holds no image file, verifies, and imports as external images
        #expect(!FileManager.default.fileExists(atPath: b.bundle.appendingPathComponent("images").path))
        #expect(try verify(b.bundle, b).isClean)
    }

    /// Every kind of file a bundle holds; one byte flipped in any of them is found and named.
    static let tamperTargets = ["manifest.json", "manifest.sha256", "images.jsonl", "judgments.jsonl", "images/", "scores/", "catalogue/verified/"]

    @Test(arguments: tamperTargets)
    func oneFlippedByteAnywhereIsFoundAndNamed(_ target: String) async throws {
        // Given a bundle with one byte flipped in one file
        let b = try await bundled()
        let tampered = try copy(b, target.replacingOccurrences(of: "/", with: "_"))
        let file = try firstFile(in: tampered, matching: target)
        var bytes = try Data(contentsOf: file)
        let offset = bytes.count / 2
        bytes[offset] ^= 0x01
        try bytes.write(to: file)
        // When it is verified
        let report = try verify(tampered, b)
        // Then a finding names that file
        let name = String(file.path.dropFirst(tampered.path.count + 1))
        #expect(!report.isClean)
        #expect(report.findings.contains { $0.place.hasPrefix(name) || $0.place == "manifest.json" && name == "manifest.sha256" },
                "findings: \(report.findings)")
    }

    @Test func aReplyEditedToChangeAScoreIsFoundEvenWithEveryHashRewritten() async throws {
        // Given a bundle whose first reply was edited to read as the other score, with the
        // judgments file's hash, the manifest and its hash all rewritten to match
        let b = try await bundled()
        let tampered = try copy(b, "reply")
        let judgmentsURL = tampered.appendingPathComponent("judgments.jsonl")
        var lines = try String(contentsOf: judgmentsURL, encoding: .utf8).split(separator: "\n").map(String.init)
        var first = try JSONDecoder().decode(BundleJudgment.self, from: Data(lines[0].utf8))
        let stored = first.scores?["score"] ?? 0
        first.rawReply = "Score: \(stored == 1 ? 0 : 1)"
        lines[0] = WiseJSON.encode(first)
        let edited = Data((lines.joined(separator: "\n") + "\n").utf8)
        try edited.write(to: judgmentsURL)
        try rewriteManifest(tampered, path: "judgments.jsonl", data: edited)
        // When it is verified
        let report = try verify(tampered, b)
        // Then the finding names that reply by its item, reading as another verdict; the only other
        // is the official full-results file, which carries the reply's text
        let places = report.findings.map(\.place)
        #expect(places.count == 2 && places.last?.hasSuffix("_full_results.json") == true, "findings: \(report.findings)")
        #expect(report.findings.first?.place == "judgments.jsonl prompt \(first.promptID) sample 0 repeat 0")
        #expect(report.findings.first?.problem.contains("reads as") == true)
        // And importing it is refused, writing nothing
        let other = b.folder.appendingPathComponent("refused.sqlite").path
        var storeOptions = StoreOptions()
        storeOptions.store = other
        #expect { try BundleImport(path: tampered.path, name: nil, pinned: b.fixture.manifest).run(store: storeOptions) } throws: {
            "\($0)".contains("does not verify")
        }
        #expect(!FileManager.default.fileExists(atPath: other))
    }

    @Test func aFileAddedToTheBundleIsNamed() async throws {
        // Given a bundle with an extra file the manifest does not list
        let b = try await bundled()
        let tampered = try copy(b, "extra")
        try Data("x".utf8).write(to: tampered.appendingPathComponent("scores/extra.jsonl"))
        try FileManager.default.createSymbolicLink(atPath: tampered.appendingPathComponent("link.json").path, withDestinationPath: "/etc/hostname")
        // Then verify names both, the symbolic link too
        #expect(try verify(tampered, b).findings.map(\.place).sorted() == ["link.json", "scores/extra.jsonl"])
    }

    @Test func aManifestPathOutOfTheBundleIsNamedAndNeverRead() async throws {
        // Given a bundle whose manifest (rehashed as a forger would) lists a file above the bundle
        let b = try await bundled()
        let tampered = try copy(b, "escape")
        let url = tampered.appendingPathComponent("manifest.json")
        var manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(contentsOf: url))
        manifest.files.append(.init(path: "../../../etc/hostname", sha256: String(repeating: "0", count: 64), bytes: 1))
        let encoded = manifest.encoded()
        try encoded.write(to: url)
        try Data(BundleManifest.hashLine(encoded).utf8).write(to: tampered.appendingPathComponent("manifest.sha256"))
        // When verified / Then that path is named as outside the bundle, and nothing else differs
        let report = try verify(tampered, b)
        #expect(report.findings.map(\.description) == ["../../../etc/hostname: a path outside the bundle"])
    }

    @Test func anExistingFolderIsNeverOverwritten() async throws {
        // Given a bundle already written
        let b = try await bundled()
        let before = try Data(contentsOf: b.bundle.appendingPathComponent("manifest.json"))
        // When another bundle is written to the same path / Then it is refused and the first is untouched
        #expect { try RunBundle(store: b.store, run: "flux", judgeKey: nil, includeImages: true, location: b.location).write(to: b.bundle.path) } throws: {
            "\($0)".contains("already exists")
        }
        #expect(try Data(contentsOf: b.bundle.appendingPathComponent("manifest.json")) == before)
    }

    @Test func aFolderThatIsNotABundleGetsOneLine() throws {
        // Given an empty folder / Then verify says it is not a bundle
        let dir = try TempDirectory.make("not-bundle")
        #expect { try BundleVerifier(path: dir.path, pinned: .official) } throws: { "\($0)".contains("not a wise bundle") }
    }

    /// The first regular file below `root` whose relative path starts with `prefix`.
    func firstFile(in root: URL, matching prefix: String) throws -> URL {
        let paths = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
        guard let path = paths.first(where: { $0.hasPrefix(prefix) && !$0.hasSuffix("/") && PathKind(root.appendingPathComponent($0).path) == .file }) else {
            throw DataError("no file \(prefix)* in \(root.path)")
        }
        return root.appendingPathComponent(path)
    }

    /// Rewrites one file's hash and size in the manifest, then the manifest's own hash, as a forger would.
    func rewriteManifest(_ root: URL, path: String, data: Data) throws {
        let url = root.appendingPathComponent("manifest.json")
        var manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(contentsOf: url))
        let index = try #require(manifest.files.firstIndex { $0.path == path })
        manifest.files[index].sha256 = SHA256.hex(data)
        manifest.files[index].bytes = data.count
        let encoded = manifest.encoded()
        try encoded.write(to: url)
        try Data(BundleManifest.hashLine(encoded).utf8).write(to: root.appendingPathComponent("manifest.sha256"))
    }
}
