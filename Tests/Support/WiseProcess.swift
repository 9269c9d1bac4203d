import Foundation

/// Runs the built `wise` binary as a user would, capturing its exit status and output.
public struct WiseProcess: Sendable {
    /// What one invocation produced.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The non-empty lines of stderr.
        public var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
    }

    /// The `wise` executable next to the test bundle in the build folder.
    public static var binary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("wise")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return TestCatalogue.repositoryRoot.appendingPathComponent(".build/debug/wise")
    }

    public var environment: [String: String]
    public var workingDirectory: URL

    public init(environment: [String: String], workingDirectory: URL) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// Starts `wise` with arguments and returns the running process (for tests that kill it).
    public func start(_ arguments: [String], stdout: FileHandle? = nil, stderr: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = WiseProcess.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WISE_") }
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = workingDirectory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `wise` to completion, waiting on a GCD thread so the cooperative pool stays free for other tests.
    @discardableResult
    public func run(_ arguments: [String]) async throws -> Result {
        try await onOwnThread { try self.runBlocking(arguments) }
    }

    /// Runs `wise` to completion, blocking the calling thread.
    public func runBlocking(_ arguments: [String]) throws -> Result {
        let out = Pipe(), err = Pipe()
        let process = try start(arguments, stdout: out.fileHandleForWriting, stderr: err.fileHandleForWriting)
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        // Read both pipes concurrently so a full pipe never blocks the child.
        nonisolated(unsafe) var errData = Data()
        let done = DispatchSemaphore(value: 0)
        Thread { errData = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Runs blocking work on a thread of its own and awaits it.
///
/// Blocking a thread of GCD's global queues (or of Swift's cooperative pool, which on Linux is
/// built on them) starves every other test on a 2-core machine; a dedicated thread does not.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
