import Foundation
import Synchronization
import WiseCore

/// A child process started from an argv (never through a shell), with its output pipes.
final class Subprocess: @unchecked Sendable {
    let process: Process
    /// Writes to the child's stdin; nil when stdin is not piped.
    let stdinFD: Int32?
    let stdout: FileHandle
    let stderr: FileHandle
    /// The last few kilobytes the child wrote to stderr (all of it also goes to `log`, when given).
    let stderrTail: StreamTail

    var pid: Int32 { process.processIdentifier }

    /// Starts `argv` with the current environment plus `environment`.
    init(argv: [String], environment: [String: String], pipeStdin: Bool, label: String, log: URL? = nil) throws {
        guard let first = argv.first, !first.isEmpty else {
            throw UsageError("\(label): the command is empty; give the program and its arguments")
        }
        guard let executable = Subprocess.resolve(first) else {
            throw GeneratorError("\(label): program '\(first)' was not found (not a path to an executable file, nor on PATH); check the command", kind: .missingInput)
        }
        stderrTail = StreamTail(log: log)
        // A child that exits while we write to it must not kill wise with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        process = Process()
        process.executableURL = executable
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let input = pipeStdin ? Pipe() : nil, output = Pipe(), errors = Pipe()
        process.standardInput = input ?? FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw GeneratorError("\(label): cannot start '\(first)': \(error.localizedDescription)", kind: .unavailable)
        }
        // Close the child's ends here, so end of file arrives when the child exits.
        try? input?.fileHandleForReading.close()
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
        stdinFD = input?.fileHandleForWriting.fileDescriptor
        stdinHandle = input?.fileHandleForWriting
        stdout = output.fileHandleForReading
        stderr = errors.fileHandleForReading
        let tail = stderrTail, handle = stderr
        Thread { tail.drain(handle) }.start()
    }

    private let stdinHandle: FileHandle?

    /// Writes all of `data` to stdin; false when the child no longer reads it.
    func write(_ data: Data) -> Bool {
        guard let fd = stdinFD else { return false }
        return data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
    }

    /// Closes stdin, telling the child there is no more work.
    func closeStdin() { try? stdinHandle?.close() }

    /// Kills the child at once.
    func kill() { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }

    /// Waits up to `seconds` for the child to exit; kills it when it does not. Returns its status.
    func wait(upTo seconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { kill() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// How the child ended, in words: `exited with status 3` or `was killed by signal 9`.
    var endDescription: String {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
    }

    /// Finds a program: a path with a slash as given, else the first match on PATH.
    static func resolve(_ name: String) -> URL? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }
}

/// Keeps the last few kilobytes of a stream, for error messages, and appends all of it to a log file when given one.
final class StreamTail: Sendable {
    private let text = Mutex("")
    let limit: Int
    private let log: Mutex<FileHandle?>

    init(limit: Int = 4000, log: URL? = nil) {
        self.limit = limit
        var handle: FileHandle?
        if let log {
            try? FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
            handle = try? FileHandle(forWritingTo: log)
            _ = try? handle?.seekToEnd()
        }
        self.log = Mutex(handle)
    }

    /// Reads a handle to its end, keeping the tail.
    func drain(_ handle: FileHandle) {
        while true {
            let data = handle.availableData
            if data.isEmpty { log.withLock { try? $0?.close(); $0 = nil }; return }
            log.withLock { try? $0?.write(contentsOf: data) }
            append(String(decoding: data, as: UTF8.self))
        }
    }

    func append(_ chunk: String) {
        text.withLock { value in
            value += chunk
            if value.count > limit { value = String(value.suffix(limit)) }
        }
    }

    /// The last non-empty line, trimmed to 200 characters, or "" when nothing was written.
    var lastLine: String {
        let line = text.withLock { $0 }.split(separator: "\n").last.map(String.init) ?? ""
        return String(line.trimmingCharacters(in: .whitespaces).prefix(200))
    }
}

/// A generator could not be set up or used (bad command, missing program, worker that will not start).
public struct GeneratorError: WiseError {
    public var message: String
    public var kind: ErrorKind
    public init(_ message: String, kind: ErrorKind = .usage) { self.message = message; self.kind = kind }
    public var description: String { message }
}

/// The first 200 characters of a text, on one line, for messages.
func excerpt(_ text: String) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    return flat.count > 200 ? String(flat.prefix(200)) + "…" : flat
}

/// Splits a command line into arguments as a POSIX shell would split words (spaces separate;
/// single quotes, double quotes and backslashes quote), with no expansion of any kind.
public func splitCommandLine(_ text: String, option: String) throws -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    for char in text {
        if escaped { current.append(char); escaped = false; inWord = true; continue }
        if let open = quote {
            if char == open { quote = nil } else if char == "\\" && open == "\"" { escaped = true } else { current.append(char) }
            continue
        }
        switch char {
        case "\\": escaped = true; inWord = true
        case "'", "\"": quote = char; inWord = true
        case " ", "\t", "\n":
            if inWord { words.append(current); current = ""; inWord = false }
        default: current.append(char); inWord = true
        }
    }
    guard quote == nil, !escaped else {
        throw UsageError("\(option) \(text): a quote or backslash is not closed")
    }
    if inWord { words.append(current) }
    return words
}
