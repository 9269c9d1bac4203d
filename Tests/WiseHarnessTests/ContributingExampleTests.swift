import ArgumentParser
import Foundation
import Testing
import TestSupport
import WiseCore
import WiseGenerators
import WiseHarness
import WiseJudges
import WiseStore

/// The example adapters of CONTRIBUTING.md: registered by one option-group line each, found by
/// name with "did you mean", and run through the same orchestration as the built-in adapters.
@Suite struct ContributingExampleTests {
    /// What a contributor writes: the built-in judges plus one line for the new one.
    struct JudgesWithExample: ParsableArguments {
        @OptionGroup var adapters: JudgeAdapters
        @OptionGroup(title: "example judge") var example: ExampleJudgeOptions
    }

    /// The same for generators.
    struct GeneratorsWithTemplate: ParsableArguments {
        @OptionGroup var adapters: GeneratorAdapters
        @OptionGroup(title: "template generator") var template: TemplateGeneratorOptions
    }

    @Test func oneOptionGroupLineRegistersAnAdapter() throws {
        // Given the judges with the example's one line, parsed from its flag
        let judges = try JudgesWithExample.parse(["--example-level", "0"])
        // When the registry is read / Then the example is found by name, a typo gets a suggestion
        let registry = WiseHarness.registry(of: judges, kind: "judge", as: (any JudgeFactory).self)
        #expect(registry.names.contains("example"))
        let factory = try registry.factory(named: "example")
        #expect((factory as? ExampleJudgeOptions)?.exampleLevel == 0)
        #expect(throws: UsageError.self) { try registry.factory(named: "exampel") }
        do { _ = try registry.factory(named: "exampel") } catch { #expect("\(error)".contains("did you mean 'example'?")) }
        // And the built-in registries list their adapters in order
        #expect(JudgeAdapters.names == ["openai", "clip"])
        #expect(GeneratorAdapters.names == ["folder", "worker", "command", "openai-images", "gemini-images"])
    }

    @Test func everyRegisteredModelNamesARegisteredGenerator() throws {
        // Given the model registry and the generator registry / Then every model's adapter is a registered generator
        let url = TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json")
        let registry = try ModelRegistry.load(from: url, adapters: GeneratorAdapters.names)
        #expect(registry.models.allSatisfy { GeneratorAdapters.names.contains($0.adapter) })
        // And a registry naming an unknown adapter is refused with a suggestion
        let bad = try TempDirectory.make("registry").appendingPathComponent("registry.json")
        try Data(#"{"default":"m","workers":{},"models":[{"name":"m","family":"f","adapter":"comand","model_id":"x"}]}"#.utf8).write(to: bad)
        #expect { try ModelRegistry.load(from: bad, adapters: GeneratorAdapters.names) } throws: { "\($0)".contains("did you mean 'command'?") }
    }

    @Test func theExampleAdaptersMakeAndJudgeARunInProcess() async throws {
        // Given a store, a catalogue and a template image
        let fixture = try TestCatalogue.make()
        let catalogue = try fixture.load(.verified)
        let dir = try TempDirectory.make("contrib")
        let template = dir.appendingPathComponent("t.png")
        try ImageFixtures.png(seed: 7).write(to: template)
        let store = try ResultsStore(path: dir.appendingPathComponent("s.sqlite").path, create: true)
        let generators = try GeneratorsWithTemplate.parse(["--template", template.path])
        let factory = try WiseHarness.registry(of: generators, kind: "generator", as: (any GeneratorFactory).self).factory(named: "template")
        let context = GeneratorContext(model: nil, registry: nil, settings: GenerationSettings(), outputDirectory: dir.appendingPathComponent("img").path,
                                       timeout: 60, jobs: 2, environment: [:])
        let prepared = PreparedGenerator(try factory.makeGenerator(context), context: context, seedBase: 0)
        var options = try GenerationOptions.parse(["--ids", "1-5", "--out", context.outputDirectory])
        options.generateProgressInterval = 60
        let recorder = ConsoleRecorder()
        // When five images are made and judged by the examples
        let run = try await Console.$sink.withValue(recorder) {
            try await generateImages(name: "toy", set: .verified, scoringProtocol: nil, made: prepared, options: options, store: store, catalogue: catalogue).run
        }
        let judges = try JudgesWithExample.parse([])
        let made = try WiseHarness.registry(of: judges, kind: "judge", as: (any JudgeFactory).self).factory(named: "example")
            .makeJudge(JudgeContext(scoringProtocol: .verified, environment: [:]))
        try await Console.$sink.withValue(recorder) {
            try await judgeRun(run, store: store, options: try JudgeOptions.parse(["--progress-interval", "60"]), made: made, promptIDs: Set(1...5))
        }
        // Then five images are stored, each scored 1 on every aspect by the example judge, and the board was printed
        let rows = try store.judgmentRows(run: run)
        #expect(rows.count == 5 && rows.allSatisfy { $0.status == .ok && $0.scores?.values.values.allSatisfy { $0 == 1 } == true })
        #expect(recorder.messages.contains("5 images made, 0 already made, 0 failed"))
        #expect(recorder.output.contains("WISE verified"))
    }

    @Test func contributingShowsTheExamplesAsTheyAreCompiled() throws {
        // Given CONTRIBUTING.md and the example files the tests compile
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("CONTRIBUTING.md"), encoding: .utf8)
        for name in ["ExampleJudge.swift", "ExampleGenerator.swift"] {
            let source = try String(contentsOf: root.appendingPathComponent("Tests/WiseHarnessTests/Examples/\(name)"), encoding: .utf8)
            // Then each file appears whole in a code block of the guide
            #expect(guide.contains("```swift\n" + source + "```"), "CONTRIBUTING.md must show \(name) exactly as compiled")
        }
    }
}
