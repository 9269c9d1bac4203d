import Foundation

/// One HTTP request for `HTTPTransport` to send: method, URL, headers, body and time limits.
///
/// Only `http` and `https` URLs are accepted. Header names and values may not contain
/// CR, LF or NUL (that would let a value inject further headers).
public struct HTTPRequest: Sendable, CustomStringConvertible {
    /// The request method.
    public enum Method: String, Sendable, Equatable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case delete = "DELETE"
        case head = "HEAD"
    }

    public var method: Method
    public var url: String
    public var headers: HTTPHeaders
    /// The body to send; nil sends none (POST and PUT then send an empty body).
    public var body: Data?
    /// The limit in seconds on the whole transfer, connecting included; 0 means no limit.
    public var timeout: Double
    /// The limit in seconds on connecting (TCP and TLS); nil leaves libcurl's default (300 s),
    /// still bounded by `timeout`.
    public var connectTimeout: Double?
    /// Whether to follow 3xx redirects (at most 10).
    public var followRedirects: Bool
    /// Overrides the transport's `maxResponseBytes` for this request.
    public var maxResponseBytes: Int?

    public init(
        method: Method = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: Data? = nil,
        timeout: Double = 60,
        connectTimeout: Double? = nil,
        followRedirects: Bool = true,
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.followRedirects = followRedirects
        self.maxResponseBytes = maxResponseBytes
    }

    /// A GET request.
    public static func get(_ url: String, headers: HTTPHeaders = [:], timeout: Double = 60)
        -> HTTPRequest
    {
        HTTPRequest(method: .get, url: url, headers: headers, timeout: timeout)
    }

    /// A POST request with `body`.
    public static func post(
        _ url: String, headers: HTTPHeaders = [:], body: Data, timeout: Double = 60
    ) -> HTTPRequest {
        HTTPRequest(method: .post, url: url, headers: headers, body: body, timeout: timeout)
    }

    /// Method, redacted URL, header names and body size; never header values.
    public var description: String {
        "\(method.rawValue) \(HTTPError.redact(url)) headers \(headers) body \(body?.count ?? 0) bytes"
    }
}
