import ArgumentParser
import Foundation
import WiseAPI
import WiseCore
import WiseHTTP
import WiseOptions

/// Options of the `openai-images` generator: the OpenAI images API or a compatible server.
public struct OpenAIImagesGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "openai-images"
    public static let summary = "the OpenAI images API (gpt-image-1 family) or a compatible server"

    @Option(help: ArgumentHelp("The images API root (default https://api.openai.com/v1).", valueName: "url"))
    public var imagesBaseURL: String?

    @Option(help: ArgumentHelp("The environment variable that holds the images API key (never stored or logged).", valueName: "var"))
    public var imagesApiKeyEnv: String?

    @Option(help: ArgumentHelp("Image quality: low, medium, high or auto.", valueName: "q"))
    public var quality: String?

    @Option(help: ArgumentHelp("At most this many image requests per minute.", valueName: "n"))
    public var imagesRpm: Double?

    @Option(help: ArgumentHelp("Attempts per image request on 429, 5xx, timeouts and dropped connections.", valueName: "n"))
    public var imagesRetries = 6

    public init() {}

    public func validate() throws {
        if let imagesRpm { try checkRange("--images-rpm", imagesRpm, 0.01...1e9) }
        try checkRange("--images-retries", imagesRetries, 1...100)
    }

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        var configuration = OpenAIImagesConfiguration()
        if let imagesBaseURL { configuration.baseURL = imagesBaseURL }
        configuration.model = context.model?.modelID ?? "gpt-image-1"
        configuration.quality = quality
        if let variable = imagesApiKeyEnv {
            // The variable is recorded either way, so a dry run plans the run a real one makes.
            configuration.apiKeyEnv = variable
            configuration.apiKey = try context.apiKey(in: variable, option: "--images-api-key-env")
        }
        configuration.timeout = context.timeout
        configuration.retry = RetryPolicy(maxAttempts: imagesRetries)
        configuration.requestsPerMinute = imagesRpm
        let generator = try OpenAIImagesGenerator(configuration, transport: HTTPTransport(options: .init()))
        return MadeGenerator(generator: generator, capacity: context.jobs)
    }
}
