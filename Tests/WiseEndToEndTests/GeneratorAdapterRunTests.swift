import Foundation
import Synchronization
import Testing
import WiseCore
import WiseStore
import TestSupport

/// The folder and openai-images generators driven through `wise generate`.
@Suite struct GeneratorAdapterRunTests {
    @Test func folderGeneratorRecordsWhatIsThereAndWhyTheRestIsMissing() async throws {
        // Given a folder with images for ids 1-3 and 5, and a file that is not an image for 4
        let ws = try Workspace(label: "folder-gen")
        try ImageFixtures.writeFolder(ws.path("img"), ids: [1, 2, 3, 5])
        try Data("text".utf8).write(to: ws.path("img/4.png"))
        // When generated with the folder generator over ids 1-6
        let result = try await ws.run(["generate", "f", "--set", "legacy", "--generator", "folder", "--images", ws.path("img").path,
                                       "--ids", "1-6", "--store", ws.storePath])
        // Then four images are recorded as they are, and 4 and 6 are missing with the reason;
        // two images failed, so the command ends incomplete (75) after recording them
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.errorLines.last?.contains("2 of 6 images failed") == true, "\(result.stderr)")
        let store = try ResultsStore(path: ws.storePath, create: false)
        let rows = try store.imageRows(run: store.requireRun("f"))
        #expect(rows.filter { $0.status == .ok }.map(\.promptID) == [1, 2, 3, 5])
        #expect(rows.first { $0.promptID == 4 }?.problem == "4.png is not a PNG, JPEG or WebP image")
        #expect(rows.first { $0.promptID == 6 }?.problem?.hasPrefix("no image (6.png") == true)
        #expect(rows.first { $0.promptID == 1 }?.sha256 == SHA256.hex(ImageFixtures.png(seed: 1)))
    }

    @Test func imagesAPIRunRecordsTheKeyVariableNeverTheKey() async throws {
        // Given a loopback images API that wants a key and answers with a base64 PNG
        let key = "sk-img-abcdef0123456789"
        let bodies = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            bodies.withLock { $0.append(request.text) }
            guard request.header("Authorization") == "Bearer \(key)" else { return .json(#"{"error":{"message":"bad key"}}"#, status: 401) }
            return .json(#"{"data":[{"b64_json":"\#(ImageFixtures.png(seed: request.text.count).base64EncodedString())"}]}"#)
        }
        defer { server.stop() }
        let ws = try Workspace(label: "images-api", extraEnvironment: ["WISE_IMG_KEY": key])
        // When the registered gpt-image-1 makes 3 images there
        let result = try await ws.run(["generate", "g", "--model", "gpt-image-1", "--set", "legacy", "--ids", "1-3",
                                       "--images-base-url", server.baseURL + "/v1", "--images-api-key-env", "WISE_IMG_KEY", "--quality", "low",
                                       "--store", ws.storePath])
        // Then the images are recorded, the run names the variable, and the key is nowhere in the store or output
        #expect(result.status == 0, "\(result.stderr)")
        let store = try ResultsStore(path: ws.storePath, create: false)
        let run = try store.requireRun("g")
        #expect(try store.imageRows(run: run).filter { $0.status == .ok }.count == 3)
        #expect(run.generator.parameters["api_key_env"] == "WISE_IMG_KEY" && run.generator.parameters["quality"] == "low")
        #expect(run.generator.parameters["family"] == "openai")
        let raw = try Data(contentsOf: URL(fileURLWithPath: ws.storePath))
        #expect(raw.range(of: Data(key.utf8)) == nil)
        #expect(!result.stderr.contains(key) && !result.stdout.contains(key))
        #expect(bodies.withLock { $0 }.allSatisfy { $0.contains("\"size\":\"1024x1024\"") && $0.contains("\"quality\":\"low\"") })
    }
}
