import Foundation
import TestSupport
import WiseCore
import WiseGenerators
import WiseRunner
import WiseStore

#if canImport(Glibc)
import Glibc
#endif

/// `generators`: what the generation harness itself costs, with the tiny test worker standing in for a model.
///
/// Two figures, each through the real path (worker processes over pipes, `GenerationRunner`, one
/// SQLite commit per image): the harness's CPU and wall time per image against a worker that
/// answers at once, and the throughput of 4 workers that take 50 ms per image against 4 × one
/// such worker's.
enum GeneratorBench {
    static let options: Set<String> = ["--count", "--delay", "--repo"]

    static func run(_ arguments: Arguments) throws {
        let count = try arguments.int("--count", default: 1000)
        let delay = try arguments.double("--delay", default: 0.05)
        let root = try Orchestrator.repositoryRoot(arguments.string("--repo"))
        let script = root + "/Tests/Support/workers/tiny_worker.py"
        let catalogue = try TestCatalogue.synthetic().load(.legacy)
        let prompts = catalogue.prompts

        // 1. A worker that answers at once: what is left is the harness's own cost.
        let instant = try measure(name: "instant", argv: ["python3", script], gpus: [], images: Array(prompts.prefix(count)), catalogue: catalogue)
        print(String(format: "instant worker, %d images: wall %.3f ms/image, harness CPU %.3f ms/image (aim ≤ 1 ms), %.0f images/s",
                     count, instant.wall * 1000 / Double(count), instant.cpu * 1000 / Double(count), Double(count) / instant.wall))
        let piped = try measure(name: "piped", argv: ["python3", script], gpus: [], batch: 8, images: Array(prompts.prefix(count)), catalogue: catalogue)
        print(String(format: "instant worker, --batch 8: wall %.3f ms/image, harness CPU %.3f ms/image, %.0f images/s",
                     piped.wall * 1000 / Double(count), piped.cpu * 1000 / Double(count), Double(count) / piped.wall))

        // 2. Workers that take `delay` s per image: 4 of them against one.
        let slowCount = min(count, 200)
        let one = try measure(name: "one", argv: ["python3", script, "--delay", "\(delay)"], gpus: [],
                              images: Array(prompts.prefix(slowCount / 4)), catalogue: catalogue)
        let four = try measure(name: "four", argv: ["python3", script, "--delay", "\(delay)"], gpus: ["0", "1", "2", "3"],
                               images: Array(prompts.prefix(slowCount)), catalogue: catalogue)
        let rateOne = Double(slowCount / 4) / one.wall, rateFour = Double(slowCount) / four.wall
        print(String(format: "%.0f ms workers: one %.1f images/s (bound %.1f), four %.1f images/s; speed-up %.2f× (aim ≥ 3.8×)",
                     delay * 1000, rateOne, 1 / delay, rateFour, rateFour / rateOne))
    }

    /// Generates `images` with a pool of the given worker into a fresh store; returns wall and harness CPU seconds,
    /// counted from the moment the workers are ready (model loading is not the harness's cost).
    static func measure(name: String, argv: [String], gpus: [String], batch: Int = 1, images: [Prompt], catalogue: Catalogue) throws -> (wall: Double, cpu: Double) {
        let dir = try TempDirectory.make("bench-\(name)")
        let store = try ResultsStore(path: dir.appendingPathComponent("bench.sqlite").path, create: true)
        var configuration = WorkerConfiguration(argv: argv)
        configuration.gpus = gpus
        configuration.timeout = 60
        configuration.batch = batch
        let worker = try WorkerGenerator(configuration)
        let spec = RunSpec(name: name, set: .legacy, scoringProtocol: .legacy, generator: worker.spec, catalogueHash: catalogue.contentHash)
        let (run, _) = try store.beginRun(spec, catalogue: catalogue)
        var options = GenerationRunner.Options(outputDirectory: dir.appendingPathComponent("img"))
        options.concurrency = worker.capacity
        let runner = GenerationRunner(store: store, run: run, generator: worker, options: options)
        let result = Box<(Double, Double, Int)>()
        let done = DispatchSemaphore(value: 0)
        Task {
            defer { done.signal() }
            do {
                try await worker.start()
                let cpu0 = cpuSeconds(), wall0 = monotonicSeconds()
                let summary = try await runner.generateAll(prompts: images)
                let wall = monotonicSeconds() - wall0, cpu = cpuSeconds() - cpu0
                await worker.finish()
                result.value = (wall, cpu, summary.made)
            } catch {
                printError("wise-bench: \(error)")
            }
        }
        done.wait()
        guard let (wall, cpu, made) = result.value, made == images.count else {
            throw BenchError("the \(name) run did not make all \(images.count) images")
        }
        try? FileManager.default.removeItem(at: dir)
        return (wall, cpu)
    }

    /// CPU seconds (user + system) this process has used.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return figures(of: usage).cpu
    }
}

/// A value handed from a task to the thread that waits for it.
final class Box<T>: @unchecked Sendable {
    var value: T?
}
