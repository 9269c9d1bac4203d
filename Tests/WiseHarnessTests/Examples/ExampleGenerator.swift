import ArgumentParser
import Foundation
import WiseCore
import WiseGenerators

/// The options of the `template` generator, which are also its factory: what CONTRIBUTING.md walks through.
public struct TemplateGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "template"
    public static let summary = "a toy generator that copies one image file for every prompt"

    @Option(help: ArgumentHelp("The image file copied for every prompt.", valueName: "file"))
    public var template: String?

    public init() {}

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        guard let template else { throw UsageError("the template generator needs --template FILE") }
        guard FileManager.default.isReadableFile(atPath: template) else {
            throw UsageError("--template \(template) is not a readable file; name an image file")
        }
        return MadeGenerator(generator: TemplateGenerator(template: template), capacity: context.jobs)
    }
}

/// A toy generator: writes a copy of one image to the path each item asks for.
public struct TemplateGenerator: Generator {
    public let template: String

    public var spec: AdapterSpec { AdapterSpec(adapter: "template", parameters: ["template": template]) }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        let start = ContinuousClock.now
        do {
            try? FileManager.default.removeItem(atPath: item.output)
            try FileManager.default.copyItem(atPath: template, toPath: item.output)
        } catch {
            throw GenerationFailure("cannot copy \(template) to \(item.output): \(error.localizedDescription)")
        }
        let elapsed = ContinuousClock.now - start
        // Checks the bytes as every generator's output is checked, and hashes them.
        return try GeneratedImage.inspect(path: item.output, seconds: Double(elapsed.components.attoseconds) / 1e18, metadata: nil)
    }
}
