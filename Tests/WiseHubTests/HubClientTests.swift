import Foundation
import Synchronization
import TestSupport
import Testing
import WiseCore
import WiseHTTP
@testable import WiseHub

@Suite struct HubClientTests {
    static func sampleFiles() -> [String: Data] {
        var weights = Data(count: 5000)
        for i in 0..<weights.count { weights[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        return [
            "config.json": Data(#"{"projection_dim": 24}"#.utf8),
            "model.safetensors": weights,
            "vocab.json": Data(#"{"a</w>": 0}"#.utf8),
            "merges.txt": Data("#version: 0.2\na b\n".utf8),
            "preprocessor_config.json": Data(#"{"resample": 3}"#.utf8),
        ]
    }

    func temporaryCache() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wise-hub-\(UUID().uuidString)")
    }

    func client(_ hub: FakeHub, cache: URL, chunk: Int = 1000, retries: Int = 0) -> HubClient {
        HubClient(transport: HTTPTransport(), baseURL: hub.server.baseURL, cacheRoot: cache, chunkSize: chunk, retries: retries, timeout: 10)
    }

    @Test func downloadsEveryFileAndThenUsesTheCache() async throws {
        // Given a hub with a CLIP folder's five files, one of them in LFS
        let files = Self.sampleFiles()
        let hub = try FakeHub(files: files)
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hubClient = client(hub, cache: cache)
        // When the repository is fetched
        let (folder, outcomes) = try await hubClient.fetch(repo: "acme/tiny-clip")
        // Then every file is there with its bytes, under models/owner--name/revision
        #expect(folder.path.hasSuffix("models/acme--tiny-clip/main"))
        for (name, data) in files {
            #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == data)
            #expect(outcomes[name] == .downloaded(bytes: data.count))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(name + ".part").path))
        }
        // And the manifest says which checksum came from the hub and which was recorded here
        let manifest = HubManifest.load(from: folder)
        #expect(manifest.files["model.safetensors"]?.checkedAgainstHub == true)
        #expect(manifest.files["model.safetensors"]?.sha256 == SHA256.hex(files["model.safetensors"]!))
        #expect(manifest.files["vocab.json"]?.checkedAgainstHub == false)
        #expect(manifest.files["vocab.json"]?.commit == "0123abcd")
        #expect(hub.gets.withLock { $0.filter { $0.hasPrefix("model.safetensors") }.count } == 5)
        // When it is fetched again, Then nothing is downloaded
        let before = hub.server.requestCount
        let again = try await hubClient.fetch(repo: "acme/tiny-clip")
        #expect(again.outcomes.values.allSatisfy { $0 == .cached })
        #expect(hub.server.requestCount == before)
        try hubClient.verify(repo: "acme/tiny-clip")
    }

    @Test func resumesAfterACutConnection() async throws {
        // Given a hub that cuts the fourth GET (the weights' third chunk) short
        let files = Self.sampleFiles()
        let hub = try FakeHub(files: files, cutRequest: 4)
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hubClient = client(hub, cache: cache)
        // When the first fetch is cut
        await #expect { try await hubClient.fetch(repo: "acme/tiny-clip", files: ["config.json", "model.safetensors"]) } throws: {
            ($0 as? HubError)?.reason == .unavailable && "\($0)".contains("resume")
        }
        let part = hubClient.directory(repo: "acme/tiny-clip").appendingPathComponent("model.safetensors.part")
        #expect(try Data(contentsOf: part).count == 2000)
        // And fetched again
        let (folder, outcomes) = try await hubClient.fetch(repo: "acme/tiny-clip", files: ["config.json", "model.safetensors"])
        // Then it asks only for the bytes it lacks, and the file is whole and checked
        let ranges = hub.gets.withLock { $0 }
        #expect(ranges.contains("model.safetensors bytes=2000-2999"))
        #expect(ranges.filter { $0 == "model.safetensors bytes=0-999" }.count == 1)
        #expect(outcomes["config.json"] == .cached)
        #expect(try Data(contentsOf: folder.appendingPathComponent("model.safetensors")) == files["model.safetensors"])
        #expect(!FileManager.default.fileExists(atPath: part.path))
    }

    @Test func checksumMismatchLeavesNothingBehind() async throws {
        // Given a hub whose stated SHA-256 does not match the bytes it sends
        let hub = try FakeHub(files: Self.sampleFiles(), announcedSHA: String(repeating: "ab", count: 32))
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hubClient = client(hub, cache: cache, chunk: 4096)
        // When the weights are fetched
        await #expect { try await hubClient.fetch(repo: "acme/tiny-clip", files: ["model.safetensors"]) } throws: {
            ($0 as? HubError)?.reason == .checksumMismatch && "\($0)".contains("abababab")
        }
        // Then neither the file nor its part nor a manifest entry is left
        let folder = hubClient.directory(repo: "acme/tiny-clip")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors.part").path))
        #expect(HubManifest.load(from: folder).files.isEmpty)
    }

    @Test func missingRepositoryIsAClearError() async throws {
        // Given a hub that does not have the repository
        let hub = try FakeHub(files: Self.sampleFiles())
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hubClient = client(hub, cache: cache)
        // When it is fetched, Then the error names the file, repository and revision, and is missing input
        await #expect { try await hubClient.fetch(repo: "acme/no-such-model") } throws: { error in
            guard let error = error as? HubError else { return false }
            return error.reason == .notFound && error.kind == .missingInput
                && error.message.contains("config.json not found in acme/no-such-model at revision main")
        }
        // And a malformed repository id is refused before any request
        await #expect(throws: UsageError.self) { try await hubClient.fetch(repo: "../etc") }
    }

    @Test func tamperedFileIsDetectedAndRefetched() async throws {
        // Given a fetched repository whose vocab.json was changed afterwards
        let files = Self.sampleFiles()
        let hub = try FakeHub(files: files)
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hubClient = client(hub, cache: cache)
        let (folder, _) = try await hubClient.fetch(repo: "acme/tiny-clip")
        try Data("{}".utf8).write(to: folder.appendingPathComponent("vocab.json"))
        // When it is verified, Then the recorded checksum catches it
        #expect { try hubClient.verify(repo: "acme/tiny-clip") } throws: { ($0 as? HubError)?.reason == .checksumMismatch }
        // And a fetch downloads that file again, and only that one
        let again = try await hubClient.fetch(repo: "acme/tiny-clip")
        #expect(again.outcomes["vocab.json"] == .downloaded(bytes: files["vocab.json"]!.count))
        #expect(again.outcomes["model.safetensors"] == .cached)
        #expect(try Data(contentsOf: folder.appendingPathComponent("vocab.json")) == files["vocab.json"])
    }

    @Test func etagsThatAreNotSHA256AreIgnored() {
        #expect(HubClient.sha256FromETag("\"" + String(repeating: "A1", count: 32) + "\"") == String(repeating: "a1", count: 32))
        #expect(HubClient.sha256FromETag("W/\"" + String(repeating: "0", count: 40) + "\"") == nil)
        #expect(HubClient.sha256FromETag("") == nil)
    }
}
