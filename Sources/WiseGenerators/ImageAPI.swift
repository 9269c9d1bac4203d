import Foundation
import WiseAPI
import WiseCore
import WiseHTTP

/// What the image-API adapters share: their API client, the request of one image, and writing the
/// image a reply sent as base64 (decoded, checked aside, only then renamed into place, so a broken
/// or non-image reply never takes an item's name).
enum ImageAPI {
    /// The largest reply read: a 4096² (4K) PNG in base64 with room to spare.
    static let maxReplyBytes = 96 << 20

    /// Checks an API root given by option `option`: http:// or https:// only.
    static func checkBaseURL(_ url: String, option: String) throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw UsageError("\(option) \(url) must start with http:// or https://")
        }
    }

    /// The API client of an image adapter: its service, key (and the header it travels in),
    /// retries, request limit and timeout, with the image-sized reply cap.
    static func client(_ service: APIService, apiKey: String?, keyHeader: String? = nil, retry: RetryPolicy,
                       requestsPerMinute: Double?, timeout: Double, transport: HTTPTransport) -> APIClient {
        var api = APIClientConfiguration(service: service, apiKey: apiKey)
        api.keyHeader = keyHeader
        api.retry = retry
        api.requestsPerMinute = requestsPerMinute
        api.timeout = timeout
        api.maxReplyBytes = maxReplyBytes
        return APIClient(transport: transport, configuration: api)
    }

    /// Decodes `base64` (from the reply field `field`), checks the image and moves it to `path`.
    ///
    /// Throws `APIReplyError` for bytes that are not valid base64 or not an image (the API is
    /// asked again), and `APIFailure` when the file cannot be written (recorded at once).
    static func save(base64: String, field: String, to path: String, seconds: Double, metadata: String?) throws -> GeneratedImage {
        guard let bytes = Data(base64Encoded: base64, options: .ignoreUnknownCharacters), !bytes.isEmpty,
              base64.utf8.allSatisfy(isBase64Byte) else {
            throw APIReplyError("\(field) is not valid base64")
        }
        let final = URL(fileURLWithPath: path)
        let aside = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).\(UUID().uuidString).part")
        try? FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try bytes.write(to: aside) } catch {
            throw APIFailure(reason: "cannot write \(aside.path): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: aside) }
        let checked: GeneratedImage
        do {
            checked = try GeneratedImage.inspect(path: aside.path, seconds: seconds, metadata: metadata)
        } catch let failure as GenerationFailure {
            throw APIReplyError(failure.reason.replacingOccurrences(of: aside.path, with: "the image"))
        }
        do {
            if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
            try FileManager.default.moveItem(at: aside, to: final)
        } catch {
            throw APIFailure(reason: "cannot write \(path): \(error.localizedDescription)")
        }
        var image = checked
        image.path = path
        return image
    }

    /// Whether a byte may appear in standard base64 text (line breaks tolerated).
    static func isBase64Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), 0x0A, 0x0D: return true
        default: return false
        }
    }

    /// POSTs one image request through `client` and reads the reply with `read` (its body and the
    /// seconds taken); an `APIFailure` becomes the item's `GenerationFailure`, keeping whether it
    /// stops the run and whether it is a refusal.
    static func request(_ client: APIClient, _ endpoint: String, body: Data,
                        read: @escaping @Sendable (Data, Double) throws -> GeneratedImage) async throws -> GeneratedImage {
        let start = ContinuousClock.now
        do {
            return try await client.post(endpoint, body: body) { response in
                guard (200..<300).contains(response.status) else { throw client.failure(for: response, endpoint: endpoint) }
                return try read(response.body, seconds(since: start))
            }
        } catch let failure as APIFailure {
            throw GenerationFailure(failure.reason, stop: failure.stop, refusal: failure.refusal.map { "the API declined it on its content policy: \($0)" })
        }
    }

    /// Seconds since `start`, for the time an image took.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
