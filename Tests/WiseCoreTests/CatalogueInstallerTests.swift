import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct CatalogueInstallerTests {
    func location(_ fixture: TestCatalogue) throws -> CatalogueLocation {
        CatalogueLocation(manifest: fixture.manifest, dataDirectory: nil, cacheRoot: try TempDirectory.make("cache"))
    }

    @Test func installsVerifiedFilesAndSkipsThemTheSecondTime() async throws {
        // Given an empty cache and a source folder
        let fixture = try TestCatalogue.make()
        let location = try location(fixture)
        let installer = CatalogueInstaller(location: location)
        // When all sets are installed twice
        let first = try await installer.install(PromptSet.allCases, from: DirectorySource(directory: fixture.directory))
        let second = try await installer.install(PromptSet.allCases, from: DirectorySource(directory: fixture.directory))
        // Then nine prompt files, two evaluator scripts and two published boards arrive once, every set loads from the cache,
        // and each protocol's official request can be taken out of the cached script
        #expect(first.count == 13 && first.allSatisfy { !$0.alreadyPresent })
        #expect(second.count == 13 && second.allSatisfy(\.alreadyPresent))
        for set in PromptSet.allCases { #expect(try location.load(set).prompts.count == 1000) }
        for p in ScoringProtocol.allCases { #expect(try location.officialEvaluator(for: p).template.contains("PROMPT: \"{prompt}\"")) }
    }

    @Test func oneFlippedByteWritesNothing() async throws {
        // Given a source whose verified natural-science file has one flipped byte
        let fixture = try TestCatalogue.make()
        let source = try TempDirectory.make("source")
        for sub in ["legacy", "verified", "official"] {
            try FileManager.default.copyItem(at: fixture.directory.appendingPathComponent(sub), to: source.appendingPathComponent(sub))
        }
        let bad = source.appendingPathComponent("verified/natural_science_verified.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: bad.path)
        var bytes = try Data(contentsOf: bad)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: bad)
        let location = try location(fixture)
        // When it is installed
        do {
            _ = try await CatalogueInstaller(location: location).install(PromptSet.allCases, from: DirectorySource(directory: source))
            Issue.record("a corrupt file was accepted")
        } catch {
            // Then the error names the file and both checksums, and the cache holds no file at all
            let expected = try fixture.manifest.entry(for: .verified).files[2].sha256
            #expect("\(error)".contains("verified/natural_science_verified.json"))
            #expect("\(error)".contains(SHA256.hex(bytes)) && "\(error)".contains(expected))
        }
        let leftovers = FileManager.default.enumerator(atPath: location.cacheRoot.path)?.allObjects as? [String] ?? []
        #expect(leftovers.filter { $0.hasSuffix(".json") || $0.contains("partial") }.isEmpty)
    }
}
