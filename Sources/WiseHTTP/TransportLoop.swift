import CCurl
import Foundation
import Synchronization

/// The curl multi handle and the dedicated thread that drives it.
///
/// Other threads talk to the loop only through `submit`, `cancel` and `stop`, which queue
/// work under `shared`'s lock and wake the thread with `curl_multi_wakeup`. Everything else
/// (`active`, `idleHandles`, the easy handles) belongs to the loop thread alone.
final class TransportLoop: @unchecked Sendable {
    private struct Shared {
        var pending: [Transfer] = []
        var cancels: [Transfer] = []
        /// A wakeup has been sent that the loop has not yet answered by draining the queues.
        var wakePending = false
        var stopping = false
        /// The multi handle is gone: nothing may call curl_multi_wakeup any more.
        var closed = false
    }

    private enum Admission {
        case queued, cancelled, closed
    }

    private let shared = Mutex(Shared())
    private let multi: UnsafeMutableRawPointer
    private let options: HTTPTransport.Options
    private let finished = DispatchGroup()

    private var active: [ObjectIdentifier: Transfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private static let maxIdleHandles = 512
    /// The longest the loop sleeps in curl_multi_poll when libcurl has no earlier timer.
    private static let pollMilliseconds: Int32 = 1000

    init(options: HTTPTransport.Options) {
        _ = curlGlobalInit
        guard let multi = curl_multi_init() else {
            preconditionFailure("curl_multi_init failed (out of memory)")
        }
        self.multi = multi
        self.options = options
        wise_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, options.maxConnectionsPerHost))
        wise_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(0, options.maxTotalConnections))
        wise_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, options.maxIdleConnections))
        wise_multi_setopt_long(
            multi, CURLMOPT_PIPELINING, options.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING)
    }

    /// Starts the loop thread; call once.
    func start() {
        finished.enter()
        let thread = Thread { [self] in
            run()
            finished.leave()
        }
        thread.name = "wise-http"
        thread.start()
    }

    /// Queues `transfer`, or settles it at once if it was cancelled or the loop has stopped.
    func submit(_ transfer: Transfer) {
        let admission: Admission = shared.withLock { state in
            if transfer.cancelRequested { return .cancelled }
            if state.stopping || state.closed { return .closed }
            state.pending.append(transfer)
            wakeLocked(&state)
            return .queued
        }
        switch admission {
        case .queued: break
        case .cancelled: transfer.complete(.failure(CancellationError()))
        case .closed: transfer.complete(.failure(HTTPError.shutDown(url: HTTPError.redact(transfer.request.url))))
        }
    }

    /// Asks the loop to abandon `transfer`; harmless if it already finished.
    func cancel(_ transfer: Transfer) {
        shared.withLock { state in
            transfer.cancelRequested = true
            guard !state.closed else { return }
            state.cancels.append(transfer)
            wakeLocked(&state)
        }
    }

    /// Stops the loop, fails what is in flight with `HTTPError.shutDown`, and waits for the
    /// thread to exit. Safe to call more than once and from several threads.
    func stop() {
        shared.withLock { state in
            guard !state.stopping else { return }
            state.stopping = true
            if !state.closed { curl_multi_wakeup(multi) }
        }
        finished.wait()
    }

    private func wakeLocked(_ state: inout Shared) {
        if !state.wakePending {
            state.wakePending = true
            curl_multi_wakeup(multi)
        }
    }

    // MARK: Loop thread

    private func run() {
        var running: Int32 = 0
        while true {
            let (incoming, cancelledEarly, cancels, stopping) = shared.withLock { state in
                state.wakePending = false
                var incoming: [Transfer] = []
                var cancelledEarly: [Transfer] = []
                for transfer in state.pending {
                    if transfer.cancelRequested {
                        cancelledEarly.append(transfer)
                    } else {
                        incoming.append(transfer)
                    }
                }
                state.pending = []
                let cancels = state.cancels
                state.cancels = []
                return (incoming, cancelledEarly, cancels, state.stopping)
            }
            // Cancelled while still queued: never started, so settle them here.
            for transfer in cancelledEarly { transfer.complete(.failure(CancellationError())) }
            for transfer in incoming { begin(transfer) }
            for transfer in cancels { abandon(transfer, with: CancellationError()) }
            if stopping { break }

            curl_multi_perform(multi, &running)
            collectFinished()
            curl_multi_poll(multi, nil, 0, Self.pollMilliseconds, nil)
        }
        tearDown()
    }

    private func begin(_ transfer: Transfer) {
        guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
            transfer.complete(.failure(HTTPError.curl(
                url: HTTPError.redact(transfer.request.url), code: Int(CURLE_OUT_OF_MEMORY.rawValue),
                reason: "could not create a curl easy handle")))
            return
        }
        transfer.easy = easy
        if let failure = configure(easy, for: transfer) {
            release(transfer)
            transfer.complete(.failure(failure))
            return
        }
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else {
            release(transfer)
            transfer.complete(.failure(HTTPError.curl(
                url: HTTPError.redact(transfer.request.url), code: Int(added.rawValue),
                reason: String(cString: curl_multi_strerror(added)))))
            return
        }
        active[ObjectIdentifier(transfer)] = transfer
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else {
                continue
            }
            let code = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            wise_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            curl_multi_remove_handle(multi, easy)
            let result: Result<HTTPResponse, any Error> =
                code == CURLE_OK
                ? .success(transfer.response(from: easy)) : .failure(transfer.error(for: code))
            active[ObjectIdentifier(transfer)] = nil
            release(transfer)
            transfer.complete(result)
        }
    }

    /// Removes a transfer that is still running (cancelled, or the loop is stopping).
    private func abandon(_ transfer: Transfer, with error: any Error) {
        guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
        release(transfer)
        transfer.complete(.failure(error))
    }

    /// Frees the transfer's header list and returns its easy handle to the pool.
    private func release(_ transfer: Transfer) {
        if let list = transfer.headerList {
            curl_slist_free_all(list)
            transfer.headerList = nil
        }
        guard let easy = transfer.easy else { return }
        transfer.easy = nil
        if idleHandles.count < Self.maxIdleHandles {
            curl_easy_reset(easy)
            idleHandles.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    private func tearDown() {
        for transfer in Array(active.values) {
            abandon(transfer, with: HTTPError.shutDown(url: HTTPError.redact(transfer.request.url)))
        }
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles = []
        let late = shared.withLock { state in
            state.closed = true
            let late = state.pending
            state.pending = []
            state.cancels = []
            return late
        }
        for transfer in late {
            transfer.complete(.failure(HTTPError.shutDown(url: HTTPError.redact(transfer.request.url))))
        }
        curl_multi_cleanup(multi)
    }

    // MARK: Easy handle setup

    /// Sets every option the transfer needs on a fresh (or freshly reset) easy handle.
    private func configure(_ easy: UnsafeMutableRawPointer, for transfer: Transfer) -> HTTPError? {
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var code = CURLE_OK
        func set(_ result: CURLcode) {
            if code == CURLE_OK { code = result }
        }

        set(wise_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        set(wise_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set(wise_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(wise_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set(wise_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        transfer.errorBuffer.initialize(to: 0)
        set(wise_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer))

        set(wise_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            guard let data, let userdata else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
            return transfer.receiveBody(data, count: size * count)
        })
        set(wise_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        set(wise_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            guard let data, let userdata else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
            return transfer.receiveHeader(data, count: size * count)
        })
        set(wise_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))

        set(wise_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)))
        if let connect = request.connectTimeout {
            set(wise_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connect)))
        }
        set(wise_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0))
        set(wise_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 10))
        if request.method != .head {
            // Refuses a declared Content-Length over the limit before any body arrives; HEAD is
            // exempt because libcurl would apply it to the length of a body that never comes.
            set(wise_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(transfer.limit)))
        }

        let isHTTPS = request.url.utf8.count > 8 && request.url.prefix(8).lowercased() == "https://"
        if options.http2 {
            set(wise_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
            // Waiting for an HTTP/2 connection being set up lets transfers share it instead of
            // each opening its own; over plain http that connection would be HTTP/1.1 anyway.
            if isHTTPS { set(wise_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)) }
        } else {
            set(wise_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        }
        if isHTTPS {
            set(wise_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, options.verifyTLS ? 1 : 0))
            set(wise_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, options.verifyTLS ? 2 : 0))
            if let caFile = options.caFile { set(wise_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        }
        if options.tcpKeepAlive {
            set(wise_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
            set(wise_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30))
            set(wise_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 15))
        }
        if !options.userAgent.isEmpty {
            set(wise_easy_setopt_string(easy, CURLOPT_USERAGENT, options.userAgent))
        }

        var sendsBody = false
        switch request.method {
        case .get:
            if request.body != nil {
                set(wise_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "GET"))
                sendsBody = true
            } else {
                set(wise_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            }
        case .head:
            set(wise_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case .post:
            sendsBody = true
        case .put:
            set(wise_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "PUT"))
            sendsBody = true
        case .delete:
            set(wise_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE"))
            sendsBody = request.body != nil
        }
        let bodyCount = request.body?.count ?? 0
        if sendsBody {
            // libcurl pulls the body through the read callback straight from the request's
            // Data, so a large upload is not copied whole; POST stays POST with the method
            // overridden by CUSTOMREQUEST where needed. The seek callback lets it resend.
            transfer.uploadOffset = 0
            set(wise_easy_setopt_long(easy, CURLOPT_POST, 1))
            set(wise_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount)))
            set(wise_easy_setopt_read_callback(easy, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return Int(CURL_READFUNC_ABORT) }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.readBody(into: buffer, capacity: size * count)
            })
            set(wise_easy_setopt_pointer(easy, CURLOPT_READDATA, context))
            set(wise_easy_setopt_seek_callback(easy, CURLOPT_SEEKFUNCTION) { userdata, offset, origin in
                guard let userdata else { return CURL_SEEKFUNC_FAIL }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.seekBody(to: Int(offset), origin: origin)
            })
            set(wise_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, context))
        }

        guard code == CURLE_OK else {
            return transfer.error(for: code)
        }
        guard let list = Self.headerList(for: request, sendsBody: sendsBody, bodyIsEmpty: bodyCount == 0) else {
            return .curl(url: HTTPError.redact(request.url), code: Int(CURLE_OUT_OF_MEMORY.rawValue),
                         reason: "could not build the header list")
        }
        transfer.headerList = list
        let headerCode = wise_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        return headerCode == CURLE_OK ? nil : transfer.error(for: headerCode)
    }

    /// The request's headers as a curl list, plus the defaults libcurl would otherwise get wrong.
    ///
    /// `Expect:` stops libcurl from waiting for a `100 Continue` before large bodies; a body
    /// with no declared type is sent as octet-stream rather than libcurl's form encoding.
    private static func headerList(for request: HTTPRequest, sendsBody: Bool, bodyIsEmpty: Bool)
        -> UnsafeMutablePointer<curl_slist>?
    {
        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 2)
        for field in request.headers {
            // "Name;" is libcurl's spelling of a header with an empty value; "Name:" would remove it.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if !request.headers.contains("Expect") { lines.append("Expect:") }
        if sendsBody && !request.headers.contains("Content-Type") {
            lines.append(bodyIsEmpty ? "Content-Type:" : "Content-Type: application/octet-stream")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                if let list { curl_slist_free_all(list) }
                return nil
            }
            list = extended
        }
        return list
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        guard seconds > 0, seconds.isFinite else { return 0 }
        return max(1, Int((seconds * 1000).rounded(.up)))
    }
}

/// libcurl's process-wide setup, run once on first use (Swift initialises globals lazily and
/// exactly once, whichever thread gets there first).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
