import Foundation

/// Where the harness writes: results to stdout, messages to stderr, or (in tests, for the task
/// that asks) to a recorder.
public enum Console {
    /// Receives what would have been written; set for a task with `Console.$sink.withValue`.
    @TaskLocal public static var sink: ConsoleRecorder?

    /// A message line on stderr.
    public static func error(_ line: String) {
        if let sink { sink.record(line + "\n", toStandardError: true); return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A note to the user on stderr (progress, what was done, advice).
    public static func note(_ line: String) { error(line) }

    /// Set for a task whose results are a side show (the judging passes inside `wise migrate`,
    /// whose report is the result): what it would print on stdout goes to stderr instead.
    @TaskLocal public static var resultsAsNotes = false

    /// Results on stdout, as they are.
    public static func out(_ text: String) {
        if resultsAsNotes { return error(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
        if let sink { sink.record(text, toStandardError: false); return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Collects what the harness printed, for tests that run orchestration in-process.
public final class ConsoleRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stdout = ""
    private var stderr = ""

    public init() {}

    func record(_ text: String, toStandardError: Bool) {
        lock.lock(); defer { lock.unlock() }
        if toStandardError { stderr += text } else { stdout += text }
    }

    /// Everything written to stdout so far.
    public var output: String { lock.lock(); defer { lock.unlock() }; return stdout }
    /// Everything written to stderr so far.
    public var messages: String { lock.lock(); defer { lock.unlock() }; return stderr }
}
