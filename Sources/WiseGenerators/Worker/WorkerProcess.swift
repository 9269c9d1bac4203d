import Foundation
import Synchronization
import WiseCore

/// One long-lived worker process speaking the JSON-lines protocol (see README, "The worker protocol").
///
/// Requests are written to its stdin; a reader thread matches reply lines to requests by id, so
/// several may be in flight. When the worker dies (it exits, prints a line that is not a reply,
/// or overruns the timeout and is killed), every request in flight fails with `WorkerDied`.
final class WorkerProcess: @unchecked Sendable {
    /// A reply of status ok.
    struct Reply: Sendable {
        var path: String?
        var seconds: Double?
        var metadata: String?
    }

    /// The worker ended while requests were in flight; `reason` says how and what it printed.
    struct WorkerDied: Error, Sendable { var reason: String }

    private struct State {
        var pending: [String: CheckedContinuation<Result<Reply, GenerationFailure>, any Error>] = [:]
        var timers: [String: DispatchWorkItem] = [:]
        var ready: CheckedContinuation<String?, any Error>?
        var readyLine: String?
        var death: String?
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
            let death = locked { $0.death } ?? "ended"
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

    /// Reads stdout line by line until it closes, then records how the worker ended.
    private func readLines(_ handle: FileHandle) {
        var buffer = Data()
        let fd = handle.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                if !line.isEmpty { receive(Data(line)) }
            }
        }
        if !buffer.isEmpty { receive(buffer) }
        die(child.endDescription)
    }

    private func receive(_ line: Data) {
        let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
        let isReady = locked { $0.readyLine == nil }
        if isReady {
            guard let object, object["ready"] as? Bool == true else {
                die("printed something other than its ready line: \(excerpt(String(decoding: line, as: UTF8.self)))")
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
        guard let object, let id = object["id"] as? String, let status = object["status"] as? String, status == "ok" || status == "error" else {
            die("printed a line that is not a protocol reply: \(excerpt(String(decoding: line, as: UTF8.self))) (logs belong on stderr)")
            return
        }
        let result: Result<Reply, GenerationFailure>
        if status == "ok" {
            var metadata: String?
            if let value = object["metadata"], !(value is NSNull),
               let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
                metadata = String(decoding: data, as: UTF8.self)
            }
            result = .success(Reply(path: object["path"] as? String, seconds: object["seconds"].flatMap(jsonNumber), metadata: metadata))
        } else {
            result = .failure(GenerationFailure("the worker said: \(excerpt(object["error"] as? String ?? "error without a message"))"))
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
