import ArgumentParser
import Foundation
import WiseAPI
import WiseCore
import WiseHTTP
import WiseOptions

/// Options of the `gemini-images` generator: Google's Gemini API asked for images (the board's NanoBanana rows).
public struct GeminiImagesGeneratorOptions: ParsableArguments, GeneratorFactory {
    public static let adapterName = "gemini-images"
    public static let summary = "Google's Gemini API for images (gemini-2.5-flash-image, gemini-3-pro-image-preview: the NanoBanana models)"

    @Option(help: ArgumentHelp("The Gemini API root (default https://generativelanguage.googleapis.com/v1beta).", valueName: "url"))
    public var geminiBaseURL: String?

    @Option(help: ArgumentHelp("The environment variable that holds the Gemini API key, sent as x-goog-api-key (never stored or logged).", valueName: "var"))
    public var geminiApiKeyEnv: String?

    @Option(help: ArgumentHelp("The aspect ratio when no --width/--height say it: \(GeminiImagesConfiguration.aspectRatios.joined(separator: ", ")).", valueName: "w:h"))
    public var aspectRatio: String?

    @Option(help: ArgumentHelp("1K, 2K or 4K, for the models that take a size (Gemini 3 Pro Image).", valueName: "size"))
    public var imageSize: String?

    @Option(help: ArgumentHelp("At most this many image requests per minute.", valueName: "n"))
    public var geminiRpm: Double?

    @Option(help: ArgumentHelp("Attempts per image request on 429, 5xx, timeouts, dropped connections and replies without an image.", valueName: "n"))
    public var geminiRetries = 6

    public init() {}

    public func validate() throws {
        if let geminiRpm { try checkRange("--gemini-rpm", geminiRpm, 0.01...1e9) }
        try checkRange("--gemini-retries", geminiRetries, 1...100)
        if let aspectRatio, !GeminiImagesConfiguration.aspectRatios.contains(aspectRatio) {
            throw ValidationError("--aspect-ratio \(aspectRatio) is not one the Gemini API takes: \(GeminiImagesConfiguration.aspectRatios.joined(separator: ", "))")
        }
        if let imageSize, !["1K", "2K", "4K"].contains(imageSize) {
            throw ValidationError("--image-size \(imageSize) must be 1K, 2K or 4K")
        }
    }

    public func makeGenerator(_ context: GeneratorContext) throws -> MadeGenerator {
        var configuration = GeminiImagesConfiguration()
        if let geminiBaseURL { configuration.baseURL = geminiBaseURL }
        configuration.model = context.model?.modelID ?? configuration.model
        if let width = context.settings.width, let height = context.settings.height,
           GeminiImagesConfiguration.aspectRatio(width: width, height: height) == nil {
            throw UsageError("--width \(width) --height \(height) is not an aspect ratio the Gemini API takes (\(GeminiImagesConfiguration.aspectRatios.joined(separator: ", "))); the API picks the pixel size itself, so give a size of one of those ratios, or --aspect-ratio")
        }
        configuration.aspectRatio = aspectRatio
        configuration.imageSize = imageSize
        if let variable = geminiApiKeyEnv {
            // The variable is recorded either way, so a dry run plans the run a real one makes.
            configuration.apiKeyEnv = variable
            configuration.apiKey = try context.apiKey(in: variable, option: "--gemini-api-key-env")
        }
        configuration.timeout = context.timeout
        configuration.retry = RetryPolicy(maxAttempts: geminiRetries)
        configuration.requestsPerMinute = geminiRpm
        let generator = try GeminiImagesGenerator(configuration, transport: HTTPTransport(options: .init()))
        return MadeGenerator(generator: generator, capacity: context.jobs)
    }
}
