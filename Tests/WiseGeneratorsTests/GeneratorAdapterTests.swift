import Foundation
import Synchronization
import Testing
import WiseCore
import WiseHTTP
import TestSupport
@testable import WiseGenerators

/// The adapters on their own: the images API over loopback HTTP, command templates, the request line, the registry.
@Suite struct GeneratorAdapterTests {
    static let key = "sk-img-0123456789abcdef"

    func item(_ out: URL, prompt: String = "a red \"cube\" on sand") -> GenerationItem {
        let p = Prompt(set: .legacy, id: 7, category: .culture, categoryLabel: "Cultural knowledge", subcategory: "s", domain: "d",
                       text: prompt, explanation: "SECRET EXPLANATION")
        return GenerationItem(prompt: p, sampleIndex: 0, seed: 1007, output: out.path, settings: GenerationSettings(width: 1024, height: 1024))
    }

    @Test func imagesAPIRetriesRateLimitsHonoursRetryAfterAndNeverRecordsTheKey() async throws {
        // Given a server that answers 429 (Retry-After 0) then 500, then a base64 PNG; it checks the key and the body
        let png = ImageFixtures.png(seed: 3)
        let seen = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            let count = seen.withLock { $0.append(request.text); return $0.count }
            guard request.path == "/v1/images/generations", request.header("Authorization") == "Bearer \(Self.key)" else { return .status(401) }
            switch count {
            case 1: return .respond(status: 429, headers: [("Retry-After", "0")], body: Data(#"{"error":{"message":"slow down"}}"#.utf8))
            case 2: return .json(#"{"error":{"message":"boom"}}"#, status: 500)
            default: return .json(#"{"created":1,"data":[{"b64_json":"\#(png.base64EncodedString())","revised_prompt":"r"}],"usage":{"total_tokens":5}}"#)
            }
        }
        defer { server.stop() }
        var configuration = OpenAIImagesConfiguration()
        configuration.baseURL = server.baseURL + "/v1"
        configuration.apiKey = Self.key
        configuration.apiKeyEnv = "IMG_KEY"
        configuration.retry.baseDelay = 0.01
        let generator = try OpenAIImagesGenerator(configuration, transport: HTTPTransport())
        let out = try TempDirectory.make("img").appendingPathComponent("7.png")
        // When one image is asked for
        let image = try await generator.generate(item(out))
        // Then it arrives after two retries, as the PNG sent, with the API's metadata; the body holds only the prompt text
        #expect(image.sha256 == SHA256.hex(png) && image.format == .png)
        #expect(image.metadata?.contains("\"revised_prompt\":\"r\"") == true)
        let bodies = seen.withLock { $0 }
        #expect(bodies.count == 3)
        let body = try JSONSerialization.jsonObject(with: Data(bodies[2].utf8)) as! [String: Any]
        #expect(body["prompt"] as? String == "a red \"cube\" on sand" && body["model"] as? String == "gpt-image-1")
        #expect(body["size"] as? String == "1024x1024" && body["response_format"] == nil)
        #expect(!bodies.joined().contains("SECRET EXPLANATION"))
        #expect(!generator.spec.canonicalJSON.contains(Self.key) && generator.spec.parameters["api_key_env"] == "IMG_KEY")
    }

    @Test func imagesAPIClientErrorsFailAtOnceWithTheServersMessage() async throws {
        // Given a server that refuses with 400
        let calls = Mutex(0)
        let server = try LoopbackHTTPServer { _ in
            calls.withLock { $0 += 1 }
            return .json(#"{"error":{"message":"Your request was rejected by the safety system (key sk-img-0123456789abcdef)"}}"#, status: 400)
        }
        defer { server.stop() }
        var configuration = OpenAIImagesConfiguration()
        configuration.baseURL = server.baseURL
        configuration.apiKey = Self.key
        let generator = try OpenAIImagesGenerator(configuration, transport: HTTPTransport())
        // When asked / Then one request, a failure naming the status and message, with the key redacted
        let error = await #expect(throws: GenerationFailure.self) {
            _ = try await generator.generate(item(try TempDirectory.make("img").appendingPathComponent("7.png")))
        }
        #expect(calls.withLock { $0 } == 1)
        #expect(error?.reason.contains("HTTP 400") == true && error?.reason.contains("safety system") == true)
        #expect(error?.reason.contains(Self.key) == false)
    }

    @Test func commandTemplatesFillEachPlaceholderIntoOneArgument() throws {
        // Given a template with every placeholder
        let generator = try CommandGenerator(argv: ["gen", "--p={prompt}", "{seed}", "{out}", "{id}/{sample}", "{width}x{height}", "{steps}", "{guidance}"],
                                             timeout: 5, settings: GenerationSettings(width: 64, height: 32, steps: 2, guidance: 1.5))
        // When filled for an item
        var made = item(URL(fileURLWithPath: "/tmp/o.png"))
        made.steps = 2; made.guidance = 1.5; made.width = 64; made.height = 32
        // Then each value lands in its own argument, quotes and spaces intact
        #expect(generator.arguments(for: made) == ["gen", "--p=a red \"cube\" on sand", "1007", "/tmp/o.png", "7/0", "64x32", "2", "1.5"])
        // And a template that needs a setting nobody gave, or never names {out}, is refused
        #expect(throws: UsageError.self) { try CommandGenerator(argv: ["gen", "{steps}", "{out}"], timeout: 5, settings: GenerationSettings()) }
        #expect(throws: UsageError.self) { try CommandGenerator(argv: ["gen", "{prompt}"], timeout: 5, settings: GenerationSettings()) }
    }

    @Test func requestLinesAreValidJSONWithNullDefaults() throws {
        // Given an item with no steps or guidance
        let line = WorkerProcess.requestLine(item(URL(fileURLWithPath: "/abs/7.png"), prompt: "tab\there \"quoted\" ünïcode"), options: #"{"a":1}"#)
        // Then the line parses, ends with a newline, and carries the protocol's fields
        #expect(line.last == 0x0A)
        let object = try JSONSerialization.jsonObject(with: line) as! [String: Any]
        #expect(object["id"] as? String == "7" && object["prompt_id"] as? Int == 7 && object["seed"] as? Int == 1007)
        #expect(object["prompt"] as? String == "tab\there \"quoted\" ünïcode" && object["steps"] is NSNull && object["guidance"] is NSNull)
        #expect(object["output"] as? String == "/abs/7.png" && (object["options"] as? [String: Any])?["a"] as? Int == 1)
        #expect(Set(object.keys) == ["id", "prompt_id", "sample_index", "prompt", "seed", "width", "height", "steps", "guidance", "output", "options"])
    }

    @Test func theRegistryNamesEveryModelOfTheIssueWithAFamily() throws {
        // Given the repository's registry
        let registry = try ModelRegistry.load(from: TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json"))
        // Then every model the issue names is there, each with an adapter, a model id and a family
        let names = Set(registry.models.map(\.name))
        for name in ["sd-1.5", "sd-2.1", "sdxl", "sd-3-medium", "sd-3.5-large", "pixart-alpha", "pixart-sigma", "playground-v2.5",
                     "flux.1-dev", "sana-1.6b", "qwen-image", "janus-pro-7b", "emu3-gen", "bagel-7b", "uniworld-v1", "metaquery-xl",
                     "show-o", "gpt-image-1"] {
            #expect(names.contains(name), "\(name) missing")
        }
        #expect(registry.models.allSatisfy { !$0.family.isEmpty && !$0.modelID.isEmpty && $0.source != nil })
        #expect(names.contains(registry.defaultModel))
        let flux = try registry.model(named: "FLUX.1-dev")
        let command = registry.workerCommand(for: flux)
        #expect(command.first == "python3" && command[1].hasSuffix("workers/diffusers_worker.py"))
        #expect(Array(command.dropFirst(2)) == ["--model", "black-forest-labs/FLUX.1-dev", "--dtype", "bfloat16", "--device", "cuda"])
        #expect(registry.workerCommand(for: flux, resolvingPaths: false)[1] == "workers/diffusers_worker.py")
        #expect(registry.workerCommand(for: try registry.model(named: "janusflow-1.3b")).isEmpty)
        #expect(throws: UsageError.self) { try registry.model(named: "flux-dev") }
        #expect(try splitCommandLine(#"python3 -c 'print("a b")' "x y" z\ w"#, option: "--worker-cmd") == ["python3", "-c", #"print("a b")"#, "x y", "z w"])
    }
}

/// `--worker-python` runs a registered model's worker with another Python (a repository's own venv).
@Suite struct WorkerPythonTests {
    func context(_ model: String) throws -> GeneratorContext {
        let registry = try ModelRegistry.load(from: TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json"))
        return GeneratorContext(model: try registry.model(named: model), registry: registry, settings: GenerationSettings(),
                                outputDirectory: "/tmp/unused", timeout: 60, jobs: 1, environment: [:])
    }

    @Test func itReplacesTheRegisteredCommandsPythonAndNothingElse() throws {
        // Given BAGEL's registered worker and an executable Python elsewhere
        let context = try context("bagel-7b")
        let plain = try WorkerGeneratorOptions.parse([]).command(context)
        // When --worker-python names it
        let chosen = try WorkerGeneratorOptions.parse(["--worker-python", "/bin/sh"]).command(context)
        // Then only the program changes: the script and its arguments are the registry's
        #expect(chosen.first == "/bin/sh" && plain.first != "/bin/sh")
        #expect(Array(chosen.dropFirst()) == Array(plain.dropFirst()) && chosen[1].hasSuffix("workers/bagel_worker.py"))
    }

    @Test func aPathThatIsNoProgramOrAClashWithWorkerCmdIsOneLine() throws {
        let context = try context("bagel-7b")
        #expect(throws: UsageError.self) { try WorkerGeneratorOptions.parse(["--worker-python", "/nonexistent/python"]).command(context) }
        #expect(throws: (any Error).self) { try WorkerGeneratorOptions.parse(["--worker-python", "/bin/sh", "--worker-cmd", "python3 w.py"]) }
        var unregistered = context
        unregistered.model = nil
        #expect(throws: UsageError.self) { try WorkerGeneratorOptions.parse(["--worker-python", "/bin/sh"]).command(unregistered) }
    }
}

/// What a generator wrote is checked like a registered image before it is recorded.
@Suite struct GeneratedImageTests {
    @Test func aBrokenOrMissingImageIsAFailureAndAGoodOneIsHashed() throws {
        // Given a good PNG, the same PNG cut in the middle of its IDAT chunk, and no file at all
        let dir = try TempDirectory.make("generated")
        let good = ImageFixtures.png(seed: 7)
        try good.write(to: dir.appendingPathComponent("good.png"))
        try good.prefix(good.count - 20).write(to: dir.appendingPathComponent("cut.png"))
        // When each is inspected
        let image = try GeneratedImage.inspect(path: dir.appendingPathComponent("good.png").path, seconds: 1.5, metadata: nil)
        // Then the good one carries its hash, format and size; the others are failures that say why
        #expect(image.sha256 == SHA256.hex(good) && image.format == .png && image.byteCount == good.count)
        #expect(throws: GenerationFailure.self) {
            try GeneratedImage.inspect(path: dir.appendingPathComponent("cut.png").path, seconds: nil, metadata: nil)
        }
        do { _ = try GeneratedImage.inspect(path: dir.appendingPathComponent("none.png").path, seconds: nil, metadata: nil) } catch {
            #expect("\(error)".contains("no image at"))
        }
    }
}
