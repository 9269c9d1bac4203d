import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// wise-bench: measures how much a client pays, in wall time and CPU, to keep a slow judge
/// API busy, with the fake OpenAI judge from TestSupport standing in for the real one.
///
/// The subcommands are the parts of one experiment: `images` writes inputs, `serve` runs the
/// fake judge, `minimal-client` is the leanest Swift client, and `all` runs each client
/// (that one, the Python thread-pool baseline, the real `wise` harness) as a measured child
/// process against a fresh server and prints a table. Arguments are parsed by hand so the
/// target needs nothing beyond the project's own modules.
@main
enum WiseBench {
    static let usage = """
        usage: wise-bench <command> [options]

          serve --protocol verified|legacy [--latency 0.1] [--port-file PATH] [--stats-file PATH]
                [--fault-rate 0] [--seed 1]
              Runs the fake judge (model bench-judge, key sk-bench) until SIGTERM or SIGINT.
              Writes its base URL (http://127.0.0.1:PORT/v1) to --port-file, or stdout, and
              on exit what it saw (requests, ok replies, refusals, peak in flight) to --stats-file.
          minimal-client --url BASE_URL --images DIR [--count 1000] [--concurrency 64]
              Sends one chat completion per image {i}.png, keeping --concurrency in flight;
              prints one JSON line of figures.
          images --out DIR [--count 1000] [--px 0]
              Writes {i}.png test images for i in 1...count: tiny 2×2 ones, or with --px N
              uncompressed N×N noise (512 px is about 0.75 MiB, the size of real WISE images).
          hash --images DIR
              SHA-256 of every file in DIR with wise's portable Swift code and with libcrypto; MB/s.
          all [--wise PATH] [--count 1000] [--concurrency 64] [--latency 0.1] [--px 0]
              [--python python3] [--repo DIR]
              Runs every client as a measured child process and prints a comparison table;
              with --wise, also `wise run` registering only and `wise judge` alone.
          generators [--count 1000] [--delay 0.05] [--repo DIR]
              The generation harness with the tiny test worker: harness ms per image against a
              worker that answers at once, and 4 workers × --delay s/image against 4 × one.
          adaptive [--boards 200] [--target separated|width=W] [--step 50] [--resamples 1000]
                   [--confidence 0.95] [--minimum 100] [--seed 1]
              Adaptive judging on simulated boards (3–8 runs, known true item scores): judgments
              saved against judging every item, pairs ordered wrongly, false separations.
        """

    static func main() {
        let argv = CommandLine.arguments
        guard argv.count >= 2 else {
            printError(usage)
            exit(64)
        }
        let rest = argv.dropFirst(2)
        do {
            switch argv[1] {
            case "serve": try Serve.run(Arguments(rest, allowed: Serve.options))
            case "minimal-client": try MinimalClient.run(Arguments(rest, allowed: MinimalClient.options))
            case "images": try makeImages(Arguments(rest, allowed: ["--out", "--count", "--px"]))
            case "hash": try HashBench.run(Arguments(rest, allowed: ["--images"]))
            case "all": try Orchestrator.run(Arguments(rest, allowed: Orchestrator.options))
            case "generators": try GeneratorBench.run(Arguments(rest, allowed: GeneratorBench.options))
            case "adaptive": try AdaptiveBench.run(Arguments(rest, allowed: AdaptiveBench.options))
            case "help", "-h", "--help": print(usage)
            default: throw BenchError("unknown command \(argv[1])\n\n\(usage)")
            }
        } catch {
            printError("wise-bench: \(error)")
            exit(1)
        }
    }

    /// `images`: writes {i}.png for i in 1...count.
    static func makeImages(_ arguments: Arguments) throws {
        let out = try arguments.required("--out")
        let count = try arguments.int("--count", default: 1000)
        let px = try arguments.int("--px", default: 0, allowZero: true)
        try writeImages(to: URL(fileURLWithPath: out), count: count, px: px)
        print("wrote \(count) images to \(out)")
    }

    static func writeImages(to directory: URL, count: Int, px: Int = 0) throws {
        guard count > 0 else { throw BenchError("--count must be at least 1") }
        guard px == 0 || (8...4096).contains(px) else { throw BenchError("--px must be 0 (tiny images) or 8…4096") }
        if px == 0 { return try ImageFixtures.writeFolder(directory, ids: 1...count) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for id in 1...count { try ImageFixtures.noisePNG(seed: id, size: px).write(to: directory.appendingPathComponent("\(id).png")) }
    }
}

/// A failure of the benchmark itself, with what to do about it.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `--name value` (or `--name=value`) pairs, checked against the options a command takes.
struct Arguments {
    private var values: [String: String] = [:]

    init(_ argv: ArraySlice<String>, allowed: Set<String>) throws {
        var iterator = argv.makeIterator()
        while let argument = iterator.next() {
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard allowed.contains(name) else {
                throw BenchError("unknown option \(argument); this command takes \(allowed.sorted().joined(separator: ", "))")
            }
            guard let given = value ?? iterator.next() else { throw BenchError("\(name) needs a value") }
            values[name] = given
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func string(_ name: String, default fallback: String) -> String { values[name] ?? fallback }

    func required(_ name: String) throws -> String {
        guard let value = values[name] else { throw BenchError("\(name) is required") }
        return value
    }

    func int(_ name: String, default fallback: Int, allowZero: Bool = false) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value > 0 || (allowZero && value == 0) else { throw BenchError("\(name) must be a positive integer, got \(text)") }
        return value
    }

    func double(_ name: String, default fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value >= 0, value.isFinite else {
            throw BenchError("\(name) must be a number of seconds ≥ 0, got \(text)")
        }
        return value
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// CPU seconds (user + system) and peak resident set in MiB of a rusage record.
func figures(of usage: rusage) -> (cpu: Double, maxRSSMB: Double) {
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    // Linux reports ru_maxrss in KiB.
    return (cpu, Double(usage.ru_maxrss) / 1024)
}

/// This process's own CPU time and peak RSS so far.
func ownUsage() -> (cpu: Double, maxRSSMB: Double) {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return figures(of: usage)
}
