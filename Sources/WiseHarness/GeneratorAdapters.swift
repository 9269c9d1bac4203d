import ArgumentParser
import WiseCore
import WiseGenerators

/// Every generator adapter wise knows, and their options: registering a generator is one line here.
///
/// Each line is an option group holding the adapter's options type, which is its factory
/// (`GeneratorFactory`); `--generator NAME` (or a registered model's adapter) picks one.
public struct GeneratorAdapters: ParsableArguments {
    @OptionGroup(title: "Folder generator (--generator folder)") public var folder: FolderGeneratorOptions
    @OptionGroup(title: "Worker generator (--generator worker, or a registered worker model)") public var worker: WorkerGeneratorOptions
    @OptionGroup(title: "Command generator (--generator command)") public var command: CommandGeneratorOptions
    @OptionGroup(title: "OpenAI images generator (--generator openai-images)") public var openAIImages: OpenAIImagesGeneratorOptions
    @OptionGroup(title: "Gemini images generator (--generator gemini-images)") public var geminiImages: GeminiImagesGeneratorOptions

    public init() {}

    /// The registered generator names, in the order above.
    public static var names: [String] { adapterTypes(of: GeneratorAdapters()).map { $0.adapterName } }

    /// The parsed options of each generator, by name.
    public var registry: AdapterRegistry<any GeneratorFactory> { WiseHarness.registry(of: self, kind: "generator", as: (any GeneratorFactory).self) }
}
