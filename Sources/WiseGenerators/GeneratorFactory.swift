import Foundation
import WiseCore

/// Makes a generator from its adapter's options: the plug-in point's factory.
///
/// A generator adapter's options type (a small `ParsableArguments` value in the adapter's folder)
/// conforms to this; one line in `WiseHarness/GeneratorAdapters.swift` registers it.
public protocol GeneratorFactory: AdapterFactory {
    /// Builds the generator, checking every option before any work; throws a one-line `UsageError`
    /// naming the option to fix.
    func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator
}

/// What a generator factory may need besides its own options.
public struct GeneratorContext: Sendable {
    /// The registry's entry when `--model` named one, and the registry it came from.
    public var model: ModelRegistry.Model?
    public var registry: ModelRegistry?
    /// Resolution, steps and guidance: the options over the registered model's.
    public var settings: GenerationSettings
    /// Where the run's images go.
    public var outputDirectory: String
    /// Seconds one image may take.
    public var timeout: Double
    /// Images in flight at once, for adapters without their own notion of capacity.
    public var jobs: Int
    /// The process environment (API keys are read from the variables options name).
    public var environment: [String: String]
    /// A dry run: nothing will be generated, so a missing API key is no error.
    public var dryRun = false

    public init(model: ModelRegistry.Model?, registry: ModelRegistry?, settings: GenerationSettings, outputDirectory: String,
                timeout: Double, jobs: Int, environment: [String: String]) {
        self.model = model; self.registry = registry; self.settings = settings; self.outputDirectory = outputDirectory
        self.timeout = timeout; self.jobs = jobs; self.environment = environment
    }

    /// The API key in environment variable `variable` (named by `option`); nil on a dry run
    /// without it, which sends nothing. A real run without it is refused in one line.
    public func apiKey(in variable: String, option: String) throws -> String? {
        if let value = environment[variable], !value.isEmpty { return value }
        if dryRun { return nil }
        throw UsageError("\(option) \(variable): that environment variable is not set; export it or leave the option out for a server without keys")
    }

    /// What the run records about the settings and the registered model.
    public var parameters: [String: String] {
        var parameters = settings.parameters
        if let model {
            parameters["registry_model"] = model.name
            parameters["model_id"] = model.modelID
            parameters["family"] = model.family
            if let dtype = model.dtype { parameters["dtype"] = dtype }
        }
        return parameters
    }
}

/// A generator ready to use, with how many items it takes at once.
public struct MadeGenerator: Sendable {
    public var generator: Generator
    /// Items in flight at once.
    public var capacity: Int
    public init(generator: Generator, capacity: Int) { self.generator = generator; self.capacity = capacity }
}
