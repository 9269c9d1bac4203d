import Foundation

/// A complete HTTP response: status, headers, body, and how the exchange went.
///
/// Any status is a response, 4xx and 5xx included; only transport failures throw.
/// After redirects, `status` and `headers` are those of the final response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    /// Seconds from the start of the transfer to its end, as libcurl measured it.
    public var totalTime: Double
    /// The protocol version of the final response.
    public var httpVersion: HTTPVersion

    public init(
        status: Int, headers: HTTPHeaders = [:], body: Data = Data(), totalTime: Double = 0,
        httpVersion: HTTPVersion = .unknown
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.totalTime = totalTime
        self.httpVersion = httpVersion
    }

    /// The first value of header `name` (any case), or nil.
    public func header(_ name: String) -> String? {
        headers[name]
    }

    /// The body decoded as UTF-8, with invalid bytes replaced.
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool {
        (200..<300).contains(status)
    }
}
