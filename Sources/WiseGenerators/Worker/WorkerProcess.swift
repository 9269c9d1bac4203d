import Foundation
import Synchronization
import WiseCore

/// One long-lived worker process speaking the JSON-lines protocol (see README, "The worker protocol").
///
/// Requests are written to its stdin; a reader thread matches reply lines to requests by id, so
/// several may be in flight. When the worker dies (it exits, prints a line that is not a reply,
/// or overruns the timeout and is killed), every request in flight fails with `WorkerDied`.
/// A line wise cannot read (longer than `maxLineBytes`, not UTF-8, nested deeper than `maxDepth`,
/// not JSON, no string `id`) kills the worker; a reply with an id but a bad field (unknown, of the
/// wrong type, an unknown status) fails only its own request. A ready line announcing another
/// protocol version than `protocolVersion`, or malformed, is refused at start.
final class WorkerProcess: @unchecked Sendable {
    /// The protocol version this wise speaks: a ready line announcing another is refused.
    static let protocolVersion = 1
    /// The longest line read from a worker's stdout (1 MiB); a longer one kills the worker.
    static let maxLineBytes = 1 << 20
    /// The deepest nesting of arrays and objects read in one line; a deeper line kills the worker.
    static let maxDepth = 32
    /// The fields of a ready line and of a reply; any other field is refused.
    static let readyFields: Set<String> = ["ready", "protocol", "worker", "model", "metadata"]
    static let replyFields: Set<String> = ["id", "status", "path", "seconds", "metadata", "error", "refused"]

    /// A reply of status ok, its fields of the right types (whether they make sense is the generator's to check).
    struct Reply: Sendable {
        var path: String?
        var seconds: Double?
        /// The reply's `metadata` object as compact JSON with sorted keys.
        var metadata: String?
        /// Why the image written is a refusal (a safety checker blanked it), as the worker said.
        var refused: String?
    }

    /// The worker ended while requests were in flight; `reason` says how and what it printed.
    struct WorkerDied: Error, Sendable { var reason: String }

    private struct State {
        var pending: [String: CheckedContinuation<Result<Reply, GenerationFailure>, any Error>] = [:]
        var timers: [String: DispatchWorkItem] = [:]
        var ready: CheckedContinuation<String?, any Error>?
        var readyLine: String?
        var death: String?
        /// Why the ready line was refused (a protocol version wise does not speak, a malformed line).
        var refusal: String?
    }

    let label: String
    let commandText: String
    /// Where the worker's stderr goes, when kept.
    let logPath: String?
    private let child: Subprocess
    // Guarded by `lock`: continuations cannot live in a `Mutex` (they are not sendable across its closure).
    private let lock = NSLock()
    private var protected = State()
    private let writeLock = Mutex(())
    /// The worker's ready line's `worker`, `model` and `metadata`, as JSON text.
    private let readyInfo = Mutex<String?>(nil)

    init(argv: [String], environment: [String: String], label: String, log: URL?) throws {
        self.label = label
        commandText = argv.joined(separator: " ")
        var env = environment
        env["WISE_WORKER"] = "1"
        child = try Subprocess(argv: argv, environment: env, pipeStdin: true, label: label, log: log)
        logPath = log?.path
        let handle = child.stdout
        Thread { [self] in readLines(handle) }.start()
    }

    private func locked<T>(_ body: (inout State) -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body(&protected)
    }

    var pid: Int32 { child.pid }
    var isDead: Bool { locked { $0.death != nil } }
    var info: String? { readyInfo.withLock { $0 } }

    /// Waits for the ready line; throws a `GeneratorError` saying why the worker did not start.
    func waitUntilReady(timeout: Double) async throws {
        let timer = DispatchWorkItem { [self] in die("did not say it was ready within \(Int(timeout)) s (raise --start-timeout for slow model loads)") }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        defer { timer.cancel() }
        let line: String? = try await withCheckedThrowingContinuation { continuation in
            let early: String?? = locked { s in
                if let line = s.readyLine { return .some(line) }
                if s.death != nil { return .some(nil) }
                s.ready = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
        guard let line else {
            let (death, refusal) = locked { ($0.death ?? "ended", $0.refusal) }
            if let refusal {
                throw GeneratorError("\(label): worker command `\(commandText)` \(refusal)", kind: .usage)
            }
            var message = "\(label): worker command `\(commandText)` \(death) before it was ready"
            let tail = child.stderrTail.lastLine
            if !tail.isEmpty { message += "; its stderr ends: \(tail)" }
            if let logPath { message += " (all of it in \(logPath))" }
            throw GeneratorError(message + "; run the command by hand to see why", kind: .unavailable)
        }
        readyInfo.withLock { $0 = line }
    }

    /// Sends one request and waits for its reply, the worker's death, or the timeout (which kills it).
    func send(_ item: GenerationItem, options: String, timeout: Double) async throws -> Result<Reply, GenerationFailure> {
        let id = item.requestID
        let line = Self.requestLine(item, options: options)
        return try await withCheckedThrowingContinuation { continuation in
            let timer = DispatchWorkItem { [self] in
                die("took longer than the \(formatSeconds(timeout)) s timeout on prompt \(item.promptID) sample \(item.sampleIndex) and was killed")
            }
            let death: String? = locked { s in
                if let death = s.death { return death }
                s.pending[id] = continuation
                s.timers[id] = timer
                return nil
            }
            if let death { continuation.resume(throwing: WorkerDied(reason: death)); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
            let written = writeLock.withLock { _ in child.write(line) }
            if !written { die("stopped reading its stdin") }
        }
    }

    /// Closes stdin (the worker finishes what it holds and exits) and waits for it, killing it after `grace` seconds.
    func finish(grace: Double) {
        child.closeStdin()
        _ = child.wait(upTo: grace)
    }

    /// Kills the worker at once.
    func kill() { die("was stopped") }

    /// Marks the worker dead for `reason`, kills it, and fails everything in flight.
    private func die(_ reason: String) {
        let (pending, ready) = locked { s -> ([CheckedContinuation<Result<Reply, GenerationFailure>, any Error>], CheckedContinuation<String?, any Error>?) in
            if s.death == nil { s.death = reason }
            let pending = Array(s.pending.values)
            s.pending.removeAll()
            for timer in s.timers.values { timer.cancel() }
            s.timers.removeAll()
            let ready = s.ready
            s.ready = nil
            return (pending, ready)
        }
        child.kill()
        let death = locked { $0.death }!
        ready?.resume(returning: nil)
        for continuation in pending { continuation.resume(throwing: WorkerDied(reason: death)) }
    }

    /// Reads stdout line by line until it closes (or a line grows past `maxLineBytes`), then records how the worker ended.
    private func readLines(_ handle: FileHandle) {
        var buffer = Data()
        let fd = handle.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        reading: while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                if !line.isEmpty { receive(Data(line)) }
            }
            if buffer.count > Self.maxLineBytes {
                die("printed a line longer than \(Self.maxLineBytes >> 20) MiB on stdout without ending it (logs belong on stderr)")
                buffer.removeAll()
                break reading
            }
        }
        if !buffer.isEmpty { receive(buffer) }
        die(child.endDescription)
    }

    private func receive(_ line: Data) {
        let isReady = locked { $0.readyLine == nil }
        let value: JSONValue
        switch Self.read(line) {
        case .failure(let problem):
            die(isReady ? "printed something other than its ready line: \(excerpt(String(decoding: line, as: UTF8.self)))" : problem.reason)
            return
        case .success(let read): value = read
        }
        if isReady {
            guard case .object = value, value["ready"] == .bool(true) else {
                die("printed something other than its ready line: \(excerpt(String(decoding: line, as: UTF8.self)))")
                return
            }
            if let refusal = Self.checkReady(value) {
                locked { $0.refusal = refusal }
                die(refusal)
                return
            }
            let text = String(decoding: line, as: UTF8.self)
            let ready = locked { s -> CheckedContinuation<String?, any Error>? in
                s.readyLine = text
                defer { s.ready = nil }
                return s.ready
            }
            ready?.resume(returning: text)
            return
        }
        guard let (id, result) = Self.reply(value) else {
            die("printed a line that is not a protocol reply: \(excerpt(String(decoding: line, as: UTF8.self))) (logs belong on stderr)")
            return
        }
        let continuation = locked { s -> CheckedContinuation<Result<Reply, GenerationFailure>, any Error>? in
            s.timers.removeValue(forKey: id)?.cancel()
            return s.pending.removeValue(forKey: id)
        }
        guard let continuation else {
            die("answered id \(excerpt(id)), which was not asked for: \(excerpt(String(decoding: line, as: UTF8.self)))")
            return
        }
        continuation.resume(returning: result)
    }

    /// One line of stdout as JSON, or why it cannot be read (the failure's reason is the worker's cause of death).
    static func read(_ line: Data) -> Result<JSONValue, GenerationFailure> {
        guard let text = String(data: line, encoding: .utf8) else {
            return .failure(GenerationFailure("printed a line that is not UTF-8 text: \(excerpt(String(decoding: line, as: UTF8.self)))"))
        }
        guard nestingDepth(line) <= maxDepth else {
            return .failure(GenerationFailure("printed a line nested deeper than \(maxDepth) levels: \(excerpt(text))"))
        }
        do { return .success(try JSONValue.read(line)) } catch let error as DataError {
            let problem = error.message == "not valid JSON" ? "" : " (\(error.message))"
            return .failure(GenerationFailure("printed a line that is not a protocol reply\(problem): \(excerpt(text)) (logs belong on stderr)"))
        } catch {
            return .failure(GenerationFailure("printed a line that is not a protocol reply: \(excerpt(text))"))
        }
    }

    /// How deeply arrays and objects nest in JSON text (brackets inside strings do not count).
    static func nestingDepth(_ bytes: Data) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// Why a ready line (`"ready": true` already checked) cannot be accepted, or nil when it can.
    ///
    /// A line without `protocol` is taken as version 1, the version of every worker so far.
    static func checkReady(_ value: JSONValue) -> String? {
        guard case .object(let members) = value else { return "printed a ready line that is not a JSON object" }
        if let unknown = members.first(where: { !readyFields.contains($0.0) }) {
            return "printed a ready line with the unknown field \(jsonString(excerpt(unknown.0))); protocol \(protocolVersion) has \(readyFields.sorted().joined(separator: ", "))"
        }
        switch value["protocol"] {
        case nil, .int(protocolVersion)?: break
        case let other?:
            return "announced worker protocol \(other.literal), but this wise speaks protocol \(protocolVersion); use a worker written for protocol \(protocolVersion) (its ready line says \"protocol\": \(protocolVersion))"
        }
        for field in ["worker", "model"] {
            if let v = value[field], v != .null, v.string == nil { return "printed a ready line whose \(field) is \(v.literal), expected a string" }
        }
        if let v = value["metadata"], v != .null, !v.isObject { return "printed a ready line whose metadata is \(v.literal), expected an object" }
        return nil
    }

    /// A reply's id and what it says, or nil when the value is not a reply at all (no string `id`).
    ///
    /// Read from `JSONValue` rather than a Decodable struct: once the id is known, every other
    /// problem (an unknown field, a field of the wrong type, an unknown status) fails that one
    /// item with a message naming the field, and the worker lives on.
    static func reply(_ value: JSONValue) -> (id: String, result: Result<Reply, GenerationFailure>)? {
        guard case .object(let members) = value, let id = value["id"]?.string else { return nil }
        func refuse(_ problem: String) -> (String, Result<Reply, GenerationFailure>) {
            (id, .failure(GenerationFailure("the worker's reply is not valid: \(problem)")))
        }
        if let unknown = members.first(where: { !replyFields.contains($0.0) }) {
            return refuse("unknown field \(jsonString(excerpt(unknown.0))) (protocol \(protocolVersion) replies have \(replyFields.sorted().joined(separator: ", ")))")
        }
        switch value["status"] {
        case .string("error")?:
            let message = value["error"]?.string ?? "error without a message"
            return (id, .failure(GenerationFailure("the worker said: \(excerpt(message))")))
        case .string("ok")?: break
        case let other?: return refuse("status is \(other.literal), expected \"ok\" or \"error\"")
        case nil: return refuse("it has no status")
        }
        var reply = Reply()
        switch value["path"] {
        case nil, .null?: break
        case .string(let path)?: reply.path = path
        case let other?: return refuse("path is \(other.literal), expected a string")
        }
        switch value["seconds"] {
        case nil, .null?: break
        case .int(let n)?: reply.seconds = Double(n)
        case .number(let d)?: reply.seconds = d
        case let other?: return refuse("seconds is \(other.literal), expected a number")
        }
        switch value["metadata"] {
        case nil, .null?: break
        case let object? where object.isObject: reply.metadata = object.json
        case let other?: return refuse("metadata is \(other.literal), expected an object")
        }
        switch value["refused"] {
        case nil, .null?: break
        case .string(let reason)?: reply.refused = excerpt(reason)
        case let other?: return refuse("refused is \(other.literal), expected a string saying why")
        }
        return (id, .success(reply))
    }

    /// One request line, newline included.
    static func requestLine(_ item: GenerationItem, options: String) -> Data {
        func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
        var text = "{\"id\":\(jsonString(item.requestID)),\"prompt_id\":\(item.promptID),\"sample_index\":\(item.sampleIndex)"
        text += ",\"prompt\":\(jsonString(item.prompt)),\"seed\":\(item.seed),\"width\":\(number(item.width)),\"height\":\(number(item.height))"
        text += ",\"steps\":\(number(item.steps)),\"guidance\":\(item.guidance.map { "\($0)" } ?? "null")"
        text += ",\"output\":\(jsonString(item.output)),\"options\":\(options)}\n"
        return Data(text.utf8)
    }
}

/// Seconds without a needless `.0`: `5`, `0.5`.
func formatSeconds(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}
