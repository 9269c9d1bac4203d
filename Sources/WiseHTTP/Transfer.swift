import CCurl
import Foundation

/// One request in flight: what to send, whom to tell, and what has arrived so far.
///
/// A caller's thread creates it and hands it to `TransportLoop.submit`; from then on only
/// the loop thread touches it, except `cancelRequested`, which both sides read and write
/// only while holding the loop's lock. libcurl's callbacks reach it through an unretained
/// pointer; the loop's `active` table keeps it alive while its easy handle is in use.
final class Transfer: @unchecked Sendable {
    typealias Completion = @Sendable (Result<HTTPResponse, any Error>) -> Void

    let request: HTTPRequest
    /// The most body bytes accepted before the transfer is stopped.
    let limit: Int
    /// Set once, before `submit`; called exactly once, on whichever thread settles the outcome.
    var completion: Completion?
    /// Guarded by the loop's lock.
    var cancelRequested = false

    // Loop thread only, from here on.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body = Data()
    var responseHeaders: [(name: String, value: String)] = []
    /// How much of the request body libcurl has taken so far.
    var uploadOffset = 0
    var exceededLimit = false
    /// libcurl writes its detailed message for a failure here (CURLOPT_ERRORBUFFER).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(request: HTTPRequest, limit: Int) {
        self.request = request
        self.limit = limit
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Settles the outcome; later calls do nothing.
    func complete(_ result: Result<HTTPResponse, any Error>) {
        let done = completion
        completion = nil
        done?(result)
    }

    /// Appends a chunk of body; returns a short count (which makes libcurl stop with
    /// CURLE_WRITE_ERROR) once the body would pass `limit`.
    func receiveBody(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        if body.count + count > limit {
            exceededLimit = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) { body.append($0, count: count) }
        return count
    }

    /// Copies the next part of the request body into libcurl's buffer; 0 means done.
    func readBody(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        guard let body = request.body else { return 0 }
        let count = min(capacity, body.count - uploadOffset)
        guard count > 0 else { return 0 }
        let from = body.startIndex + uploadOffset
        buffer.withMemoryRebound(to: UInt8.self, capacity: count) {
            body.copyBytes(to: $0, from: from..<(from + count))
        }
        uploadOffset += count
        return count
    }

    /// Moves the upload back (libcurl resends the body after a redirect, or on a fresh
    /// connection when a reused one turns out to be dead).
    func seekBody(to offset: Int, origin: Int32) -> Int32 {
        let length = request.body?.count ?? 0
        guard origin == SEEK_SET, offset >= 0, offset <= length else { return CURL_SEEKFUNC_CANTSEEK }
        uploadOffset = offset
        return CURL_SEEKFUNC_OK
    }

    /// Records one header line; a status line starts a new response (after a redirect or a
    /// 1xx interim reply), so the headers of earlier responses are dropped.
    func receiveHeader(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        let line = UnsafeRawBufferPointer(start: data, count: count)
        if count >= 5, line[0] == 0x48, line[1] == 0x54, line[2] == 0x54, line[3] == 0x50,
            line[4] == 0x2F  // "HTTP/"
        {
            responseHeaders.removeAll(keepingCapacity: true)
            return count
        }
        guard let colon = line.firstIndex(of: 0x3A) else { return count }  // blank line
        let name = Self.trimmed(line, from: 0, to: colon)
        let value = Self.trimmed(line, from: colon + 1, to: count)
        if !name.isEmpty {
            responseHeaders.append(
                (name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return count
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int)
        -> UnsafeRawBufferPointer.SubSequence
    {
        var lower = start
        var upper = end
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while lower < upper, isSpace(bytes[lower]) { lower += 1 }
        while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
        return bytes[lower..<upper]
    }

    /// The detailed libcurl message for the failure, or the generic text for `code`.
    func failureReason(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { return detail }
        return String(cString: curl_easy_strerror(code))
    }

    /// Maps a failed libcurl result to the error the caller sees.
    func error(for code: CURLcode) -> HTTPError {
        let url = HTTPError.redact(request.url)
        let reason = failureReason(code)
        switch code {
        case CURLE_WRITE_ERROR where exceededLimit, CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(url: url, limit: limit)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, seconds: request.timeout, reason: reason)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL(url: url, reason: reason)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR:
            return .connectionFailed(url: url, reason: reason)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            return .tlsFailed(url: url, reason: reason)
        default:
            return .curl(url: url, code: Int(code.rawValue), reason: reason)
        }
    }

    /// The response, read from the finished easy handle.
    func response(from easy: UnsafeMutableRawPointer) -> HTTPResponse {
        var status = 0
        wise_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var version = 0
        wise_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
        var micros: curl_off_t = 0
        wise_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
        return HTTPResponse(
            status: status,
            headers: HTTPHeaders(fields: responseHeaders),
            body: body,
            totalTime: Double(micros) / 1_000_000,
            httpVersion: HTTPVersion(curlVersion: version))
    }
}

extension HTTPVersion {
    init(curlVersion: Int) {
        switch curlVersion {
        case CURL_HTTP_VERSION_1_0: self = .http1_0
        case CURL_HTTP_VERSION_1_1: self = .http1_1
        case CURL_HTTP_VERSION_2_0: self = .http2
        case CURL_HTTP_VERSION_3: self = .http3
        default: self = .unknown
        }
    }
}
