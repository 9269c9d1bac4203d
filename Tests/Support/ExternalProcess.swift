import Foundation

/// Runs a program other than `wise` (python3 for the reference scripts, bash for the Slurm test)
/// to completion on its own thread, returning its exit status and what it printed.
public enum ExternalProcess {
    /// Runs `executable` (found on PATH; `python3` is `TestPython.executable`) with arguments; stdout
    /// is captured, and stderr too when `mergeStderr`.
    public static func run(_ executable: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String]? = nil,
                           mergeStderr: Bool = false) async throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [TestPython.resolve(executable)] + arguments
        if let environment { process.environment = environment }
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        let pipe = Pipe()
        process.standardOutput = pipe
        if mergeStderr { process.standardError = pipe }
        try process.run()
        let output = try await onOwnThread { () -> Data in
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        return (process.terminationStatus, output)
    }
}
