import ArgumentParser
import Foundation
import WiseCore

/// Options of the `folder` generator: images made elsewhere, one file per prompt.
public struct FolderGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "folder"
    public static let summary = "images already made elsewhere: a folder of 1.png … 1000.png (PNG, JPEG or WebP)"

    @Option(help: ArgumentHelp("The folder that holds 1.png … 1000.png (PNG, JPEG or WebP).", valueName: "dir"))
    public var images: String?

    public init() {}

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        guard let images else { throw UsageError("the folder generator needs --images DIR") }
        return MadeGenerator(generator: try FolderGenerator(directory: URL(fileURLWithPath: images, isDirectory: true)), capacity: 4)
    }
}
