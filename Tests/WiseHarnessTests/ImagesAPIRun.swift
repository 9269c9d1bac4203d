import Foundation
import TestSupport
import WiseCore
import WiseHarness
import WiseStore

/// A generation pass of run `g` with the `openai-images` adapter against a loopback server, into a fresh store.
struct ImagesAPIRun {
    var store: ResultsStore
    var fixture: TestCatalogue
    var options: GenerationOptions
    var prepared: PreparedGenerator

    /// Prepares the pass for prompts `ids` (one image in flight), the key given in variable K.
    init(server: LoopbackHTTPServer, ids: String, label: String, key: String, fixture: TestCatalogue? = nil) throws {
        self.fixture = try fixture ?? TestCatalogue.make()
        let dir = try TempDirectory.make(label)
        store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        options = try GenerationOptions.parse(["--generator", "openai-images", "--images-base-url", server.baseURL + "/v1",
                                               "--images-api-key-env", "K", "--ids", ids, "--jobs", "1",
                                               "--out", dir.appendingPathComponent("img").path])
        options.generateProgressInterval = 60
        prepared = try options.makeGenerator(model: nil, run: "g", timeout: 10, environment: ["K": key])
    }

    /// Runs the pass with the console captured.
    func generate() async throws -> GenerationOutcome {
        let (store, fixture, options, prepared) = (store, fixture, options, prepared)
        return try await Console.$sink.withValue(ConsoleRecorder()) {
            try await generateImages(name: "g", set: .verified, scoringProtocol: nil, made: prepared, options: options,
                                     store: store, catalogue: try fixture.load(.verified))
        }
    }
}
