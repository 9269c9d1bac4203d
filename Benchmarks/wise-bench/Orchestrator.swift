import Foundation
import WiseCore

#if canImport(Glibc)
import Glibc
#endif

/// `all`: runs each client as a child process against a fresh fake judge and compares them.
///
/// Each child is timed from spawn to exit and charged the CPU time and peak RSS that wait4
/// reports for it, so start-up and shut-down count, and the server's own work (in its own
/// process) does not. A fresh server per client keeps the server's counters per client.
enum Orchestrator {
    static let options: Set<String> = ["--wise", "--count", "--concurrency", "--latency", "--python", "--repo", "--px"]

    /// One measured run of one client.
    struct Run {
        var label: String
        var wall: Double
        var cpu: Double
        var maxRSSMB: Double
        /// "exit 0", "exit 3", "signal 9".
        var ending: String
        var succeeded: Bool
        var stdout: String
        var stderr: String
        var server: ServerSummary?
        /// The client's own JSON line, when it printed one.
        var report: ClientReport?
    }

    /// The figures a client prints as its last JSON line; only what the table reads.
    struct ClientReport: Decodable {
        /// Requests answered with a usable reply.
        var ok: Int?
    }

    static func run(_ arguments: Arguments) throws {
        let count = try arguments.int("--count", default: 1000)
        let concurrency = try arguments.int("--concurrency", default: 64)
        let latency = try arguments.double("--latency", default: 0.1)
        let python = arguments.string("--python", default: "python3")
        let repo = try repositoryRoot(arguments.string("--repo"))
        let selfPath = try executablePath()
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let images = work + "/images"
        let px = try arguments.int("--px", default: 0, allowZero: true)
        try WiseBench.writeImages(to: URL(fileURLWithPath: images), count: count, px: px)
        let imageBytes = try FileManager.default.contentsOfDirectory(atPath: images).reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: images + "/" + name)[.size] as? Int) ?? 0)
        }
        printError("images: \(count) × \(px == 0 ? "2 px" : "\(px) px noise"), \(imageBytes / 1024) KiB in all")
        let catalogue = ProcessInfo.processInfo.environment["WISE_DATA"]
            ?? URL(fileURLWithPath: repo).appendingPathComponent("../shared/wise").standardizedFileURL.path
        printError("wise-bench all: \(count) requests, concurrency \(concurrency), server latency \(latency) s; work dir \(work)")

        let common = ["--images", images, "--count", String(count), "--concurrency", String(concurrency)]
        var runs: [Run] = []
        var notes: [String] = []

        runs.append(try measure("swift-minimal", work: work, selfPath: selfPath, latency: latency) { base in
            (selfPath, ["minimal-client", "--url", base] + common, [:])
        })
        let script = repo + "/Benchmarks/python_threadpool_client.py"
        runs.append(try measure("python-threadpool", work: work, selfPath: selfPath, latency: latency) { base in
            (python, [script, "--url", base + "/chat/completions", "--model", Serve.model, "--key", Serve.apiKey] + common, [:])
        })
        if let wise = arguments.string("--wise") {
            runs.append(try measure("wise (harness)", work: work, selfPath: selfPath, latency: latency) { base in
                let command = [
                    "run", "bench", "--set", "verified", "--images", images, "--judge", "openai", "--protocol", "verified",
                    "--base-url", base, "--model", Serve.model, "--api-key-env", "WISE_BENCH_KEY",
                    "--concurrency", String(concurrency), "--store", work + "/bench.sqlite",
                ]
                return (wise, command, ["WISE_BENCH_KEY": Serve.apiKey, "WISE_DATA": catalogue])
            })
            // Registering alone (reading and hashing every image), then judging alone, each measured on its own.
            let env = ["WISE_BENCH_KEY": Serve.apiKey, "WISE_DATA": catalogue]
            let register = try measure("wise register only", work: work, selfPath: selfPath, latency: latency) { _ in
                (wise, ["run", "split", "--set", "verified", "--images", images, "--store", work + "/split.sqlite"], env)
            }
            runs.append(register)
            notes.append(String(format: "wise register only: %.0f MB/s of image bytes (%.1f MB in %.2f s wall)",
                                Double(imageBytes) / 1e6 / register.wall, Double(imageBytes) / 1e6, register.wall))
            runs.append(try measure("wise judge only", work: work, selfPath: selfPath, latency: latency) { base in
                (wise, ["judge", "split", "--base-url", base, "--model", Serve.model, "--api-key-env", "WISE_BENCH_KEY",
                        "--concurrency", String(concurrency), "--store", work + "/split.sqlite"], env)
            })
        } else {
            notes.append("wise (harness): skipped; pass --wise PATH_TO_WISE_BINARY to measure it")
        }

        for run in runs where !run.succeeded {
            let tail = (run.stderr.isEmpty ? run.stdout : run.stderr).split(separator: "\n").suffix(6).joined(separator: "\n    ")
            notes.append("\(run.label): FAILED (\(run.ending)); its last output:\n    \(tail)")
        }
        for run in runs {
            if let server = run.server, !server.validationFailures.isEmpty {
                notes.append("\(run.label): the server refused \(server.rejected) requests, e.g. \(server.validationFailures[0])")
            }
        }
        print(table(runs, count: count, concurrency: concurrency, latency: latency))
        for note in notes { print(note) }
    }

    // MARK: Measuring

    /// Starts a fresh server, runs one client against it as a measured child, stops the server.
    static func measure(
        _ label: String, work: String, selfPath: String, latency: Double,
        command: (String) -> (String, [String], [String: String])
    ) throws -> Run {
        let slug = label.filter { $0.isLetter || $0 == "-" }
        let portFile = "\(work)/\(slug).port", statsFile = "\(work)/\(slug).stats.json"
        let server = try spawn(selfPath, ["serve", "--protocol", "verified", "--latency", String(latency),
                                          "--port-file", portFile, "--stats-file", statsFile],
                               stdout: "\(work)/\(slug).serve.out", stderr: "\(work)/\(slug).serve.err")
        let base: String
        do { base = try waitForBaseURL(portFile, server: server, log: "\(work)/\(slug).serve.err") } catch {
            kill(server, SIGKILL)
            _ = reap(server)
            throw error
        }

        let (executable, arguments, extraEnvironment) = command(base)
        let outPath = "\(work)/\(slug).out", errPath = "\(work)/\(slug).err"
        let started = monotonicSeconds()
        var run: Run
        do {
            let child = try spawn(executable, arguments, environment: extraEnvironment, stdout: outPath, stderr: errPath)
            let (status, usage) = reap(child)
            let wall = monotonicSeconds() - started
            let figures = figures(of: usage)
            run = Run(label: label, wall: wall, cpu: figures.cpu, maxRSSMB: figures.maxRSSMB, ending: describe(status),
                      succeeded: status == 0, stdout: read(outPath), stderr: read(errPath))
        } catch {
            run = Run(label: label, wall: 0, cpu: 0, maxRSSMB: 0, ending: "not started: \(error)", succeeded: false,
                      stdout: "", stderr: "\(error)")
        }
        run.report = run.stdout.split(separator: "\n").last { $0.hasPrefix("{") }
            .flatMap { try? JSONDecoder().decode(ClientReport.self, from: Data($0.utf8)) }

        kill(server, SIGTERM)
        _ = reap(server)
        run.server = try? JSONDecoder().decode(ServerSummary.self, from: Data(contentsOf: URL(fileURLWithPath: statsFile)))
        return run
    }

    static func waitForBaseURL(_ portFile: String, server: pid_t, log: String) throws -> String {
        let deadline = monotonicSeconds() + 20
        while monotonicSeconds() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            var status: Int32 = 0
            if waitpid(server, &status, WNOHANG) == server {
                throw BenchError("the fake judge server exited early (\(describe(status))); see \(log)")
            }
            usleep(20_000)
        }
        throw BenchError("the fake judge server did not write \(portFile) within 20 s")
    }

    // MARK: Processes

    /// Starts `executable` (looked up in PATH when it has no slash) with stdin from /dev/null
    /// and stdout and stderr to files.
    static func spawn(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:], stdout: String, stderr: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var environment = ProcessInfo.processInfo.environment
        for (name, value) in extra { environment[name] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = executable.contains("/")
            ? posix_spawn(&pid, executable, &actions, nil, argv, envp)
            : posix_spawnp(&pid, executable, &actions, nil, argv, envp)
        guard code == 0 else {
            throw BenchError("cannot start \(executable): \(String(cString: strerror(code)))")
        }
        return pid
    }

    /// Waits for a child and returns its wait status and resource usage.
    static func reap(_ pid: pid_t) -> (Int32, rusage) {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return (status, usage)
    }

    /// "exit N" or "signal N" for a wait status (the WIFEXITED macros do not reach Swift).
    static func describe(_ status: Int32) -> String {
        status & 0x7F == 0 ? "exit \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw BenchError("cannot read /proc/self/exe: \(String(cString: strerror(errno)))") }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func makeTemporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var template = Array((directory + "/wise-bench-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BenchError("cannot make a temporary directory: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// The repository root: --repo, else the working directory when it holds the benchmark,
    /// else two levels above this source file (links resolved).
    static func repositoryRoot(_ given: String?) throws -> String {
        let marker = "Benchmarks/python_threadpool_client.py"
        if let given {
            guard FileManager.default.fileExists(atPath: given + "/" + marker) else {
                throw BenchError("--repo \(given) has no \(marker)")
            }
            return given
        }
        let cwd = FileManager.default.currentDirectoryPath
        if FileManager.default.fileExists(atPath: cwd + "/" + marker) { return cwd }
        let source = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: root + "/" + marker) else {
            throw BenchError("cannot find \(marker); run from the repository root or pass --repo")
        }
        return root
    }

    // MARK: Report

    static func table(_ runs: [Run], count: Int, concurrency: Int, latency: Double) -> String {
        let bound = Double(count) * latency / Double(concurrency)
        let header = ["client", "ok", "wall s", "bound s", "wall/bound", "req/s", "CPU s", "CPU ms/req", "peak RSS MB", "peak in flight"]
        var rows: [[String]] = []
        for run in runs {
            let ok = run.server?.okReplies ?? run.report?.ok ?? 0
            guard run.wall > 0 else {
                rows.append([run.label, "-", "-", fixed(bound, 2), "-", "-", "-", "-", "-", "-"])
                continue
            }
            rows.append([
                run.label + (run.succeeded ? "" : " (failed)"), "\(ok)/\(count)", fixed(run.wall, 2), fixed(bound, 2),
                fixed(run.wall / bound, 2), fixed(Double(ok) / run.wall, 0), fixed(run.cpu, 2),
                fixed(run.cpu * 1000 / Double(count), 3), fixed(run.maxRSSMB, 1),
                run.server.map { String($0.maxConcurrent) } ?? "-",
            ])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
        var lines = [
            "Little's-law bound = requests × latency / concurrency = \(count) × \(latency) / \(concurrency) = \(fixed(bound, 3)) s",
            line(header), line(header.map { String(repeating: "-", count: $0.count) }),
        ] + rows.map(line)
        let byLabel = Dictionary(runs.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
        if let harness = byLabel["wise (harness)"], harness.succeeded {
            if let minimal = byLabel["swift-minimal"], minimal.wall > 0, minimal.cpu > 0 {
                lines.append("harness (register + judge) wall / minimal wall: \(fixed(harness.wall / minimal.wall, 2))×; CPU / minimal CPU: \(fixed(harness.cpu / minimal.cpu, 2))× (aim ≤ 1.5×)")
                if let judge = byLabel["wise judge only"], judge.succeeded {
                    lines.append("wise judge only wall / minimal wall: \(fixed(judge.wall / minimal.wall, 2))× (aim ≤ 1.1×); CPU / minimal CPU: \(fixed(judge.cpu / minimal.cpu, 2))×")
                }
            }
            if let python = byLabel["python-threadpool"], python.cpu > 0 {
                lines.append("harness CPU / python CPU: \(fixed(harness.cpu / python.cpu, 2))×")
            }
        }
        if let minimal = byLabel["swift-minimal"], let python = byLabel["python-threadpool"], python.cpu > 0, python.wall > 0 {
            lines.append("minimal CPU / python CPU: \(fixed(minimal.cpu / python.cpu, 2))×; minimal wall / python wall: \(fixed(minimal.wall / python.wall, 2))×")
        }
        return lines.joined(separator: "\n")
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
