import Foundation
import WiseCore
import WiseHTTP

/// Downloads catalogue files from the official repository (or a mirror) over HTTPS with libcurl.
public struct HTTPCatalogueSource: CatalogueSource {
    let manifest: CatalogueManifest
    let baseURL: String?
    let timeout: Double
    let transport = HTTPTransport(options: .init())

    public init(manifest: CatalogueManifest, baseURL: String?, timeout: Double) {
        self.manifest = manifest; self.baseURL = baseURL; self.timeout = timeout
    }

    public var label: String { baseURL ?? manifest.baseURL }

    public func bytes(of file: any PinnedFile) async throws -> Data {
        let url = manifest.url(for: file, baseURL: baseURL)
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: .get, url: url, timeout: timeout))
        } catch let error as HTTPError {
            throw FileError("cannot download \(file.path): \(error.description); check the network or use `wise catalogue fetch --from DIR`", kind: .unavailable)
        }
        guard response.status == 200 else {
            throw FileError("cannot download \(file.path): \(url) answered HTTP \(response.status); nothing was written", kind: .unavailable)
        }
        return response.body
    }
}
