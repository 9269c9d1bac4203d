import ArgumentParser
import WiseCore
import WiseJudges

/// Every judge adapter wise knows, and their options: registering a judge is one line here.
///
/// Each line is an option group holding the adapter's options type, which is its factory
/// (`JudgeFactory`); `--judge NAME` picks one, and an unknown name gets "did you mean".
public struct JudgeAdapters: ParsableArguments {
    @OptionGroup(title: "openai judge (an OpenAI-compatible chat-completions API)") public var openai: OpenAIJudgeOptions
    @OptionGroup(title: "clip judge (a local CLIP model; --judge clip)") public var clip: CLIPJudgeOptions

    public init() {}

    /// The registered judge names, in the order above.
    public static var names: [String] { adapterTypes(of: JudgeAdapters()).map { $0.adapterName } }

    /// The parsed options of each judge, by name.
    public var registry: AdapterRegistry<any JudgeFactory> { WiseHarness.registry(of: self, kind: "judge", as: (any JudgeFactory).self) }
}
