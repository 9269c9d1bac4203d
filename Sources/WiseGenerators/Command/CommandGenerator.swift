import Foundation
import WiseCore

/// The `command` generator: runs an argv template once per image, without a shell.
///
/// Placeholders in any argument: `{prompt}`, `{seed}`, `{out}`, `{id}`, `{sample}`, `{width}`,
/// `{height}`, `{steps}`, `{guidance}`. Each value becomes part of one argument, so a prompt
/// with spaces or quotes reaches the program as it is. The command must write a PNG (or JPEG,
/// WebP) to `{out}` and exit 0 within the timeout, or the item is recorded failed.
public struct CommandGenerator: Generator {
    public static let placeholders = ["prompt", "seed", "out", "id", "sample", "width", "height", "steps", "guidance"]

    public let spec: AdapterSpec
    public let argv: [String]
    public let timeout: Double

    /// Checks the template: known placeholders only, and a setting for each one that needs it.
    public init(argv: [String], timeout: Double, settings: GenerationSettings, parameters: [String: String] = [:]) throws {
        guard !argv.isEmpty else {
            throw UsageError("the command generator needs --argv, e.g. --argv 'python3 sample.py --prompt {prompt} --seed {seed} --out {out}'")
        }
        let used = Set(argv.flatMap(Self.names))
        for name in used where !Self.placeholders.contains(name) {
            throw UsageError("--argv uses {\(name)}, which is not a placeholder\(didYouMean(name, among: Self.placeholders)); the placeholders are \(Self.placeholders.map { "{\($0)}" }.joined(separator: ", "))")
        }
        guard used.contains("out") else {
            throw UsageError("--argv never says where to write the image: put {out} where the program takes its output path")
        }
        let unset: [(String, Bool)] = [("width", settings.width == nil), ("height", settings.height == nil),
                                       ("steps", settings.steps == nil), ("guidance", settings.guidance == nil)]
        for (name, missing) in unset where missing && used.contains(name) {
            throw UsageError("--argv uses {\(name)} but no --\(name) was given (and the model has no registered default); pass --\(name)")
        }
        guard timeout > 0 else { throw UsageError("--timeout must be positive") }
        self.argv = argv
        self.timeout = timeout
        var recorded = parameters
        recorded["argv"] = argv.joined(separator: " ")
        spec = AdapterSpec(adapter: "command", parameters: recorded.merging(settings.parameters) { a, _ in a })
    }

    /// The placeholder names in one argument.
    static func names(in argument: String) -> [String] {
        var names: [String] = []
        var rest = Substring(argument)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The argv for one item, placeholders filled in.
    public func arguments(for item: GenerationItem) -> [String] {
        let values: [String: String] = [
            "prompt": item.prompt, "seed": "\(item.seed)", "out": item.output, "id": "\(item.promptID)",
            "sample": "\(item.sampleIndex)", "width": item.width.map(String.init) ?? "", "height": item.height.map(String.init) ?? "",
            "steps": item.steps.map(String.init) ?? "", "guidance": item.guidance.map { "\($0)" } ?? "",
        ]
        return argv.map { argument in
            var out = ""
            var rest = Substring(argument)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}"),
                  let value = values[String(rest[rest.index(after: open)..<close])] {
                out += rest[..<open] + value
                rest = rest[rest.index(after: close)...]
            }
            return out + rest
        }
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        let arguments = arguments(for: item)
        let timeout = self.timeout
        let start = ContinuousClock.now
        let outcome: (status: Int32, end: String, timedOut: Bool, tail: String) = try await onThread {
            let child: Subprocess
            do { child = try Subprocess(argv: arguments, environment: ["WISE_PROMPT_ID": "\(item.promptID)"], pipeStdin: false, label: "command") } catch let error as WiseError {
                throw GenerationFailure(error.description)
            }
            let stdoutTail = StreamTail()
            let done = DispatchSemaphore(value: 0)
            Thread { stdoutTail.drain(child.stdout); done.signal() }.start()
            let deadline = Date().addingTimeInterval(timeout)
            while child.process.isRunning && Date() < deadline { usleep(1000) }
            let timedOut = child.process.isRunning
            if timedOut { child.kill() }
            child.process.waitUntilExit()
            _ = done.wait(timeout: .now() + 2)
            let tail = child.stderrTail.lastLine.isEmpty ? stdoutTail.lastLine : child.stderrTail.lastLine
            return (child.process.terminationStatus, child.endDescription, timedOut, tail)
        }
        if outcome.timedOut {
            throw GenerationFailure("command took longer than the \(formatSeconds(timeout)) s timeout on prompt \(item.promptID) and was killed")
        }
        if outcome.status != 0 || outcome.end.hasPrefix("was killed") {
            throw GenerationFailure("command \(outcome.end) on prompt \(item.promptID)\(outcome.tail.isEmpty ? "" : ": \(outcome.tail)")")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try checkOwnOutput(item.output)
        return try GeneratedImage.inspect(path: item.output, seconds: seconds, metadata: nil)
    }
}

/// Checks that what a worker or command left at its output path is an image file of its own.
///
/// The path must hold a regular file with one link: a symbolic link (to another prompt's image,
/// or to anything else on the machine) or a hard link shared with another file would record, as
/// this prompt's image, a file the generator did not make for it. A missing file is left to
/// `GeneratedImage.inspect`, which says so.
func checkOwnOutput(_ path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    switch info.st_mode & S_IFMT {
    case S_IFREG:
        if info.st_nlink > 1 {
            throw GenerationFailure("\(path) has \(info.st_nlink) hard links, so it may be another prompt's image; write a new file at the output path")
        }
    case S_IFLNK:
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " to \(excerpt($0))" } ?? ""
        throw GenerationFailure("\(path) is a symbolic link\(target), not an image file; write the image itself at the output path")
    case S_IFDIR:
        throw GenerationFailure("\(path) is a directory, not an image file")
    default:
        throw GenerationFailure("\(path) is not a regular file")
    }
}

/// Runs blocking work on a thread of its own, so waiting on a child never starves Swift's cooperative pool.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
