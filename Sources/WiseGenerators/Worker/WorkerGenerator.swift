import Foundation
import Synchronization
import WiseCore

/// How to run a pool of worker processes.
public struct WorkerConfiguration: Sendable {
    /// The worker command, program first; run without a shell.
    public var argv: [String]
    /// One worker per entry, each with `CUDA_VISIBLE_DEVICES` set to it; empty means one worker, variable untouched.
    public var gpus: [String] = []
    /// Requests in flight per worker.
    public var batch = 1
    /// Seconds one image may take before its worker is killed.
    public var timeout: Double = 600
    /// Seconds a worker may take to load its model and say it is ready.
    public var startTimeout: Double = 1800
    /// The `options` object sent with every request, as JSON text.
    public var options = "{}"
    /// What the run records about the model (model id, dtype, …) besides the command.
    public var parameters: [String: String] = [:]
    /// The command as the run records it, when it differs from `argv` (a registry path made absolute).
    public var recordedCommand: String?
    /// A folder for the workers' stderr (`worker-0.log`, …, appended to); nil keeps only the last lines for messages.
    public var logDirectory: URL?

    public init(argv: [String]) { self.argv = argv }
}

/// The `worker` generator: a pool of long-lived processes speaking JSON lines, one per GPU.
///
/// A request whose worker dies (crash, garbage on stdout, timeout) is tried once more on a
/// restarted worker and then fails with what happened. A reply is trusted no further than it
/// must be: its `path`, when given, must name the output asked for; its `seconds` must lie in
/// 0…timeout (anything else fails the item rather than being dropped, so a broken worker shows);
/// and the file at the output must be a regular file of the worker's own (`checkOwnOutput`).
/// Call `start()` before `generate` and `finish()` at the end.
public final class WorkerGenerator: Generator {
    public let spec: AdapterSpec
    public let configuration: WorkerConfiguration
    private let slots: [Slot]
    private let load: Mutex<[Int]>

    public init(_ configuration: WorkerConfiguration) throws {
        guard !configuration.argv.isEmpty else {
            throw UsageError("the worker generator needs a command: --worker-cmd 'python3 my_worker.py --model ID'")
        }
        guard configuration.batch >= 1, configuration.timeout > 0 else {
            throw UsageError("--batch must be at least 1 and --timeout positive")
        }
        guard (try? JSONValue.read(configuration.options))?.isObject == true else {
            throw UsageError("worker options \(configuration.options) are not a JSON object")
        }
        self.configuration = configuration
        var parameters = configuration.parameters
        parameters["command"] = configuration.recordedCommand ?? configuration.argv.joined(separator: " ")
        if configuration.options != "{}" { parameters["options"] = configuration.options }
        spec = AdapterSpec(adapter: "worker", parameters: parameters)
        let devices: [String?] = configuration.gpus.isEmpty ? [nil] : configuration.gpus.map { $0 }
        slots = devices.enumerated().map { Slot(index: $0.offset, gpu: $0.element, configuration: configuration) }
        load = Mutex(Array(repeating: 0, count: slots.count))
    }

    /// Requests the pool can have in flight: workers × batch.
    public var capacity: Int { slots.count * configuration.batch }

    /// Starts every worker and waits until each is ready; a worker that exits or hangs at start is an error.
    public func start() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slot in slots { group.addTask { _ = try await slot.current(after: nil) } }
            try await group.waitForAll()
        }
    }

    /// What the workers said when ready (their `worker`, `model` and `metadata`), one line each.
    public func readyLines() async -> [String] {
        var lines: [String] = []
        for slot in slots { if let line = await slot.readyLine() { lines.append(line) } }
        return lines
    }

    public func generate(_ item: GenerationItem) async throws -> GeneratedImage {
        let index = load.withLock { counts in
            let best = counts.indices.min { counts[$0] < counts[$1] }!
            counts[best] += 1
            return best
        }
        defer { load.withLock { $0[index] -= 1 } }
        var tries = 1
        do {
            var image = try await generate(item, on: slots[index], tries: &tries)
            image.tries = tries
            return image
        } catch var failure as GenerationFailure {
            failure.tries = tries
            throw failure
        }
    }

    /// Asks one worker place for an image; `tries` becomes 2 when its worker died and the prompt was asked again.
    private func generate(_ item: GenerationItem, on slot: Slot, tries: inout Int) async throws -> GeneratedImage {
        let start = ContinuousClock.now
        var worker = try await attempt { try await slot.current(after: nil) }
        let result: Result<WorkerProcess.Reply, GenerationFailure>
        do {
            result = try await worker.send(item, options: configuration.options, timeout: configuration.timeout)
        } catch let first as WorkerProcess.WorkerDied {
            // Restart (once per death, whoever notices first) and try this prompt once more.
            tries = 2
            worker = try await attempt { try await slot.current(after: worker) }
            do {
                result = try await worker.send(item, options: configuration.options, timeout: configuration.timeout)
            } catch let second as WorkerProcess.WorkerDied {
                let history = first.reason == second.reason ? "twice" : "(and before that it \(first.reason)); tried twice"
                throw GenerationFailure("\(slot.label) \(second.reason) \(history), recorded failed")
            }
        }
        let reply = try result.get()
        if let path = reply.path, !sameFile(path, item.output) {
            throw GenerationFailure("the worker answered prompt \(item.promptID) with \(excerpt(path)), not the output it was asked to write (\(item.output)); only the file at the output path is recorded")
        }
        if let seconds = reply.seconds, !(seconds.isFinite && seconds >= 0 && seconds <= configuration.timeout) {
            throw GenerationFailure("the worker reported \(seconds) seconds for prompt \(item.promptID), outside 0…\(formatSeconds(configuration.timeout)) (the timeout); the image is not recorded")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = reply.seconds ?? Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try checkOwnOutput(item.output)
        var image = try GeneratedImage.inspect(path: item.output, seconds: seconds, metadata: reply.metadata)
        image.refusal = reply.refused
        return image
    }

    /// Whether two paths name the same place, once made absolute and free of `.` and `..` (links are not followed).
    private func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
    }

    /// Turns a worker that cannot be (re)started into a failure of this item.
    private func attempt(_ body: () async throws -> WorkerProcess) async throws -> WorkerProcess {
        do { return try await body() } catch let error as GeneratorError { throw GenerationFailure(error.message) }
    }

    /// Tells every worker there is no more work and waits for them to exit (killing any after `grace` seconds).
    public func finish(grace: Double = 10) async {
        await withTaskGroup(of: Void.self) { group in
            for slot in slots { group.addTask { await slot.finish(grace: grace) } }
        }
    }

    /// One worker place: the process now serving it, restarted when it dies.
    actor Slot {
        let index: Int
        let gpu: String?
        let configuration: WorkerConfiguration
        nonisolated let label: String
        private var worker: WorkerProcess?
        private var starting: Task<WorkerProcess, any Error>?

        init(index: Int, gpu: String?, configuration: WorkerConfiguration) {
            self.index = index; self.gpu = gpu; self.configuration = configuration
            label = gpu.map { "worker \(index) (CUDA_VISIBLE_DEVICES=\($0))" } ?? "worker \(index)"
        }

        /// The live worker; when `dead` is the current one (or there is none), starts a new one.
        func current(after dead: WorkerProcess?) async throws -> WorkerProcess {
            if let worker, !worker.isDead, worker !== dead { return worker }
            if let starting { return try await starting.value }
            let configuration = self.configuration, gpu = self.gpu, label = self.label, index = self.index
            let task = Task { () throws -> WorkerProcess in
                let log = configuration.logDirectory?.appendingPathComponent("worker-\(index).log")
                let process = try WorkerProcess(argv: configuration.argv, environment: gpu.map { ["CUDA_VISIBLE_DEVICES": $0] } ?? [:],
                                                label: label, log: log)
                do { try await process.waitUntilReady(timeout: configuration.startTimeout) } catch {
                    process.kill()
                    throw error
                }
                return process
            }
            starting = task
            defer { starting = nil }
            worker?.kill()
            let fresh = try await task.value
            worker = fresh
            return fresh
        }

        func readyLine() -> String? { worker?.info }

        func finish(grace: Double) async {
            guard let worker else { return }
            self.worker = nil
            // Waiting for the exit blocks, so it gets a thread of its own, not one of the cooperative pool's.
            _ = try? await onThread { worker.finish(grace: grace) }
        }
    }
}
