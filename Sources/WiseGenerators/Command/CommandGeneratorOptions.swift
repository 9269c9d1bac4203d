import ArgumentParser
import Foundation
import WiseCore

/// Options of the `command` generator: one process per image, run without a shell.
public struct CommandGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "command"
    public static let summary = "a program run once per image, without a shell, from an argv template"

    @Option(help: ArgumentHelp("The argv template, run once per image without a shell: {prompt} {seed} {out} {id} {sample} {width} {height} {steps} {guidance}.", valueName: "template"))
    public var argv: String?

    public init() {}

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        let template: [String]
        if let argv {
            template = try splitCommandLine(argv, option: "--argv")
        } else if let registered = context.model?.argv {
            template = registered
        } else {
            throw UsageError("the command generator needs --argv 'PROGRAM … {prompt} … {out}' (or a registered --model)")
        }
        let generator = try CommandGenerator(argv: template, timeout: context.timeout, settings: context.settings, parameters: context.parameters)
        return MadeGenerator(generator: generator, capacity: context.jobs)
    }
}
