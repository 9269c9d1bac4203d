/// The HTTP protocol version a response arrived over.
public enum HTTPVersion: String, Sendable, Equatable, CustomStringConvertible {
    case http1_0 = "HTTP/1.0"
    case http1_1 = "HTTP/1.1"
    case http2 = "HTTP/2"
    case http3 = "HTTP/3"
    /// libcurl did not say (for example, no response was parsed).
    case unknown = "HTTP/?"

    public var description: String { rawValue }
}
