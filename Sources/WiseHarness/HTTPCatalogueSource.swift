import Foundation
import WiseAPI
import WiseCore
import WiseHTTP

/// Downloads catalogue files from the official repository (or a mirror) through the one API
/// client: transient failures retried, redirects followed for these GETs, replies capped.
public struct HTTPCatalogueSource: CatalogueSource {
    let manifest: CatalogueManifest
    let baseURL: String?
    let client: APIClient

    /// The service as failure messages name it.
    public static let service = APIService(name: "the catalogue host", urlOption: "--base-url", keyOption: "(none)", modelOption: nil)

    public init(manifest: CatalogueManifest, baseURL: String?, timeout: Double) {
        self.manifest = manifest; self.baseURL = baseURL
        var configuration = APIClientConfiguration(service: Self.service)
        configuration.timeout = timeout
        configuration.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.5, maxDelay: 10)
        // The largest official file is a few hundred kilobytes; anything near this is not one.
        configuration.maxReplyBytes = 64 << 20
        client = APIClient(transport: HTTPTransport(options: .init()), configuration: configuration)
    }

    public var label: String { baseURL ?? manifest.baseURL }

    public func bytes(of file: any PinnedFile) async throws -> Data {
        let url = manifest.url(for: file, baseURL: baseURL)
        do {
            return try await client.send(HTTPRequest(method: .get, url: url, timeout: client.configuration.timeout)) { response in
                guard response.status == 200 else {
                    throw APIFailure(reason: "\(HTTPError.redact(url)) answered HTTP \(response.status); nothing was written", status: response.status)
                }
                return response.body
            }
        } catch let failure as APIFailure {
            let hint = failure.status == nil ? "; check the network or use `wise catalogue fetch --from DIR`" : ""
            throw FileError("cannot download \(file.path): \(failure.stop?.message ?? failure.reason)\(hint)", kind: .unavailable)
        }
    }
}
