import Foundation
import TestSupport
import WiseCore

#if canImport(Glibc)
import Glibc
#endif

/// `serve`: the fake judge as a process of its own, so its CPU is not charged to a client.
enum Serve {
    static let options: Set<String> = ["--protocol", "--latency", "--port-file", "--stats-file", "--fault-rate", "--seed"]
    static let model = "bench-judge"
    static let apiKey = "sk-bench"

    static func run(_ arguments: Arguments) throws {
        // Block the stop signals before any thread exists, so every thread inherits the mask
        // and sigwait below is the one place they arrive.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let protocolName = arguments.string("--protocol", default: "verified")
        guard let scoringProtocol = ScoringProtocol(rawValue: protocolName) else {
            throw BenchError("--protocol must be verified or legacy, got \(protocolName)")
        }
        var configuration = FakeJudgeServer.Configuration(scoringProtocol: scoringProtocol)
        configuration.model = model
        configuration.apiKey = apiKey
        configuration.latency = try arguments.double("--latency", default: 0.1)
        configuration.faultRate = try arguments.double("--fault-rate", default: 0)
        configuration.seed = UInt64(try arguments.int("--seed", default: 1))
        let server = try FakeJudgeServer(configuration)

        if let portFile = arguments.string("--port-file") {
            try writeAtomically(server.baseURL + "\n", to: portFile)
        } else {
            FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
        }

        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()

        let stats = server.stats
        let failures = server.validationFailures
        let summary = ServerSummary(
            requests: stats.requests, okReplies: stats.okReplies, rejected: stats.rejected,
            maxConcurrent: stats.maxConcurrent, distinctImages: stats.requestsByImage.count,
            faults: stats.faultsServed.values.reduce(0, +), validationFailures: Array(failures.prefix(5)))
        if let statsFile = arguments.string("--stats-file") {
            let data = try JSONEncoder().encode(summary)
            try writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: statsFile)
        }
        printError("wise-bench serve: \(stats.requests) requests, \(stats.okReplies) ok, \(stats.rejected) refused, "
            + "peak \(stats.maxConcurrent) in flight")
        for failure in failures.prefix(5) { printError("  refused: \(failure)") }
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    static func writeAtomically(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw BenchError("cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// What the server saw while one client ran, as `serve --stats-file` writes it.
struct ServerSummary: Codable {
    var requests: Int
    var okReplies: Int
    var rejected: Int
    var maxConcurrent: Int
    var distinctImages: Int
    var faults: Int
    var validationFailures: [String]
}
