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
          images --out DIR [--count 1000]
              Writes {i}.png test images for i in 1...count.
          all [--wise PATH] [--count 1000] [--concurrency 64] [--latency 0.1]
              [--python python3] [--repo DIR]
              Runs every client as a measured child process and prints a comparison table.
          generators [--count 1000] [--delay 0.05] [--repo DIR]
              The generation harness with the tiny test worker: harness ms per image against a
              worker that answers at once, and 4 workers × --delay s/image against 4 × one.
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
            case "images": try makeImages(Arguments(rest, allowed: ["--out", "--count"]))
            case "all": try Orchestrator.run(Arguments(rest, allowed: Orchestrator.options))
            case "generators": try GeneratorBench.run(Arguments(rest, allowed: GeneratorBench.options))
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
        try writeImages(to: URL(fileURLWithPath: out), count: count)
        print("wrote \(count) images to \(out)")
    }

    static func writeImages(to directory: URL, count: Int) throws {
        guard count > 0 else { throw BenchError("--count must be at least 1") }
        try ImageFixtures.writeFolder(directory, ids: 1...count)
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

    func int(_ name: String, default fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value > 0 else { throw BenchError("\(name) must be a positive integer, got \(text)") }
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
