// clip-bench: WiseCLIP against PyTorch on the same machine, same thread count, in one run.
//
//   clip-bench compare [--python PY] [--work DIR] [--threads N] [--seconds S] [--shapes b32,l14] [--rounds R]
//       makes random full-size models in DIR (default /tmp/clip-bench) with
//       tools/clip_bench_torch.py, then for each shape runs the Swift side and the PyTorch side
//       alternately, R rounds (default 3), each in its own process, and prints the best figure
//       of each side over the rounds and their ratios: on a shared machine the best round is
//       the one least disturbed by other work.
//   clip-bench swift MODEL_DIR [--threads N] [--seconds S]
//       the Swift side alone: one JSON line.
//
// Figures: images/s at batch 1 and 16 (vision tower from pixel values), texts/s (16 captions,
// tokenisation included), peak resident memory against the weight file's size.
import Foundation
import WiseCLIP

let captions = [
    "a photo of a cat sitting on a red sofa",
    "the eiffel tower at night with fireworks",
    "a bowl of ramen with a soft boiled egg",
    "an oil painting of a ship in a storm",
]

struct Options {
    var positional: [String] = []
    var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let argument = rest.popFirst() {
            if argument.hasPrefix("--"), let value = rest.popFirst() {
                values[String(argument.dropFirst(2))] = value
            } else {
                positional.append(argument)
            }
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap(Int.init) ?? fallback }
    func double(_ key: String, _ fallback: Double) -> Double { values[key].flatMap(Double.init) ?? fallback }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clip-bench: \(message)\n".utf8))
    exit(1)
}

/// User + system CPU seconds the process has used.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

/// Items per second of `body` (which handles `items` items), after one warm-up run, over at
/// least `minRuns` runs and `seconds` seconds; and CPU seconds per item, which other load
/// on the machine disturbs much less than wall time.
func rate(items: Int, seconds: Double, minRuns: Int = 2, _ body: () -> Void) -> (perSecond: Double, cpuPerItem: Double) {
    body()
    let clock = ContinuousClock()
    let start = clock.now
    let cpuStart = cpuSeconds()
    var runs = 0
    while runs < minRuns || (clock.now - start) < .seconds(seconds) {
        body()
        runs += 1
    }
    let elapsed = clock.now - start
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (Double(items * runs) / wall, (cpuSeconds() - cpuStart) / Double(items * runs))
}

/// One side's figures: the JSON line each side prints (the PyTorch side writes the same keys).
struct SideResult: Codable {
    var side: String?
    var torch: String?
    var threads: Int?
    var kernels: String?
    var loadSeconds: Double?
    var imagesBatch1: Double?, imagesBatch1CPU: Double?
    var imagesBatch16: Double?, imagesBatch16CPU: Double?
    var textsBatch16: Double?, textsBatch16CPU: Double?
    /// Features of the parity-check image and captions.
    var checkImage: [Double]?
    var checkTexts: [[Double]]?
    var peakRSSBytes: Int?
    var weightsBytes: Int?

    enum CodingKeys: String, CodingKey {
        case side, torch, threads, kernels, loadSeconds = "load_s"
        case imagesBatch1 = "images_per_s_batch1", imagesBatch1CPU = "images_per_s_batch1_cpu_s"
        case imagesBatch16 = "images_per_s_batch16", imagesBatch16CPU = "images_per_s_batch16_cpu_s"
        case textsBatch16 = "texts_per_s_batch16", textsBatch16CPU = "texts_per_s_batch16_cpu_s"
        case checkImage = "check_image", checkTexts = "check_texts", peakRSSBytes = "peak_rss_bytes", weightsBytes = "weights_bytes"
    }
}

/// A compared figure: its name in the table, and where a result keeps its rate and its CPU seconds per item.
struct Figure {
    var name: String
    var rate: WritableKeyPath<SideResult, Double?>
    var cpu: WritableKeyPath<SideResult, Double?>

    /// The three compared figures, in table order.
    static var all: [Figure] {
        [Figure(name: "images_per_s_batch1", rate: \.imagesBatch1, cpu: \.imagesBatch1CPU),
         Figure(name: "images_per_s_batch16", rate: \.imagesBatch16, cpu: \.imagesBatch16CPU),
         Figure(name: "texts_per_s_batch16", rate: \.textsBatch16, cpu: \.textsBatch16CPU)]
    }
}

/// Stores a rate and its CPU cost in a figure's two places.
func record(_ result: inout SideResult, _ figure: Figure, _ measured: (perSecond: Double, cpuPerItem: Double)) {
    result[keyPath: figure.rate] = measured.perSecond
    result[keyPath: figure.cpu] = measured.cpuPerItem
}

/// The process's peak resident set (VmHWM), in bytes.
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

/// The largest ‖a − b‖ / ‖b‖ over two lists of vectors; infinity when their shapes differ.
func relativeError(_ x: [[Double]], _ y: [[Double]]) -> Double {
    guard !x.isEmpty, x.count == y.count, zip(x, y).allSatisfy({ $0.count == $1.count }) else { return .infinity }
    var worst = 0.0
    for (u, v) in zip(x, y) {
        var difference = 0.0, norm = 0.0
        for (p, q) in zip(u, v) {
            difference += (p - q) * (p - q)
            norm += q * q
        }
        worst = max(worst, (difference / max(norm, .leastNormalMagnitude)).squareRoot())
    }
    return worst
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func swiftSide(_ options: Options) {
    guard let folder = options.positional.first else { fail("swift needs a model folder") }
    let threads = options.int("threads", 2), seconds = options.double("seconds", 10)
    let clock = ContinuousClock()
    let loadStart = clock.now
    let model: CLIPModel
    do { model = try CLIPModel(directory: folder, threads: threads, maxBatch: 16) } catch { fail("\(error)") }
    let loadTime = clock.now - loadStart
    var result = SideResult(side: "swift", threads: threads, kernels: BLAS.kernels,
                            loadSeconds: Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) * 1e-18)
    let plane = 3 * model.config.imageSize * model.config.imageSize
    for batch in [1, 16] {
        // Deterministic values in [-2, 2]: any input costs the same.
        let pixels: [[Float]] = (0..<batch).map { b in
            (0..<plane).map { (i: Int) -> Float in Float((i &* 7919 &+ b &* 104_729) % 4001 - 2000) / 1000 }
        }
        record(&result, Figure.all[batch == 1 ? 0 : 1], rate(items: batch, seconds: seconds) { _ = try? model.imageFeatures(pixelValues: pixels) })
    }
    let texts = Array(repeating: captions, count: 4).flatMap { $0 }
    record(&result, Figure.all[2], rate(items: texts.count, seconds: seconds) { _ = model.textFeatures(texts) })
    // The parity check: features for inputs the PyTorch side builds the same way.
    let check = (0..<plane).map { (i: Int) -> Float in Float((i &* 7919) % 4001 - 2000) / 1000 }
    result.checkImage = ((try? model.imageFeatures(pixelValues: [check]))?.first ?? []).map(Double.init)
    result.checkTexts = model.textFeatures(captions).map { $0.map(Double.init) }
    result.peakRSSBytes = peakRSS()
    result.weightsBytes = (try? FileManager.default.attributesOfItem(atPath: folder + "/model.safetensors")[.size] as? Int) ?? 0
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try! encoder.encode(result), as: UTF8.self))
}

/// Runs a command and returns its last stdout line read as one side's result.
func runJSON(_ executable: String, _ arguments: [String]) -> SideResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { fail("cannot run \(executable): \(error)") }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
        let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
        let object = try? JSONDecoder().decode(SideResult.self, from: Data(line.utf8))
    else { fail("\(executable) \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus))") }
    return object
}

func summary(_ result: SideResult) -> String {
    Figure.all.map { String(format: "%.2f", result[keyPath: $0.rate] ?? 0) }.joined(separator: " / ")
        + String(format: ", %.0f MiB", Double(result.peakRSSBytes ?? 0) / 1_048_576)
}

/// Per figure the higher rate, the lower CPU cost and the lower peak memory of two results; `a` nil at the first round.
func best(_ a: SideResult?, _ b: SideResult) -> SideResult {
    guard let a else { return b }
    var result = b
    for figure in Figure.all {
        result[keyPath: figure.rate] = max(a[keyPath: figure.rate] ?? 0, b[keyPath: figure.rate] ?? 0)
        result[keyPath: figure.cpu] = min(a[keyPath: figure.cpu] ?? .infinity, b[keyPath: figure.cpu] ?? .infinity)
    }
    result.peakRSSBytes = min(a.peakRSSBytes ?? .max, b.peakRSSBytes ?? .max)
    return result
}

func compare(_ options: Options) {
    let python = options.values["python"] ?? "/tmp/clipvenv/bin/python"
    let work = options.values["work"] ?? "/tmp/clip-bench"
    let threads = options.int("threads", 2), seconds = options.double("seconds", 10)
    let shapes = (options.values["shapes"] ?? "b32,l14").split(separator: ",").map(String.init)
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../tools/clip_bench_torch.py").standardized.path
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardized.path
    print("clip-bench: \(threads) threads, at least \(seconds) s per figure; load average before: \(loadAverage())")
    print("  per round: images/s batch 1 / images/s batch 16 / texts/s, peak RSS")
    for shape in shapes {
        print("\n\(shape)")
        let folder = work + "/" + shape
        if !FileManager.default.fileExists(atPath: folder + "/model.safetensors") {
            print("making random \(shape) weights in \(folder) …")
            let make = Process()
            make.executableURL = URL(fileURLWithPath: python)
            make.arguments = [script, "make", folder, "--shape", shape]
            do { try make.run() } catch { fail("cannot run \(python): \(error)") }
            make.waitUntilExit()
            guard make.terminationStatus == 0 else { fail("making the \(shape) model failed") }
        }
        let common = ["--threads", String(threads), "--seconds", String(seconds)]
        var bestSwift: SideResult?, bestTorch: SideResult?
        for round in 1...max(1, options.int("rounds", 3)) {
            let s = runJSON(me, ["swift", folder] + common)
            let t = runJSON(python, [script, "bench", folder] + common)
            print("  round \(round): swift \(summary(s)); pytorch \(summary(t)); load \(loadAverage())")
            bestSwift = best(bestSwift, s)
            bestTorch = best(bestTorch, t)
        }
        guard let swift = bestSwift, let torch = bestTorch else { fail("no round ran") }
        let weights = Double(swift.weightsBytes ?? 1)
        print("\(shape) best of the rounds: weights \(String(format: "%.0f", weights / 1_048_576)) MiB, load average now \(loadAverage())")
        print("  figure                  swift     pytorch   swift/pytorch")
        for figure in Figure.all {
            let s = swift[keyPath: figure.rate] ?? 0, t = torch[keyPath: figure.rate] ?? 0
            print(String(format: "  %-22@ %8.2f %11.2f %11.2fx", figure.name as NSString, s, t, t > 0 ? s / t : 0))
        }
        for figure in Figure.all {
            let s = swift[keyPath: figure.cpu] ?? 0, t = torch[keyPath: figure.cpu] ?? 0
            print(String(format: "  %-22@ %8.3f %11.3f %11.2fx less CPU", (figure.name.replacingOccurrences(of: "_per_s", with: "") + " CPU s/item") as NSString, s, t, s > 0 ? t / s : 0))
        }
        print(String(format: "  parity: image features %.1e, text features %.1e largest relative error (‖swift − pytorch‖ / ‖pytorch‖)",
                     relativeError(swift.checkImage.map { [$0] } ?? [], torch.checkImage.map { [$0] } ?? []),
                     relativeError(swift.checkTexts ?? [], torch.checkTexts ?? [])))
        let sp = Double(swift.peakRSSBytes ?? 0), tp = Double(torch.peakRSSBytes ?? 0)
        print(String(format: "  peak RSS MiB           %8.0f %11.0f %11.2fx", sp / 1_048_576, tp / 1_048_576, tp > 0 ? sp / tp : 0))
        print(String(format: "  peak RSS / weights     %8.2f %11.2f", sp / weights, tp / weights))
        print("  swift load \(String(format: "%.1f", swift.loadSeconds ?? 0)) s, \(swift.kernels ?? "?"); pytorch \(torch.torch ?? "?"), \(torch.kernels ?? "?")")
    }
}

var arguments = CommandLine.arguments.dropFirst()
switch arguments.popFirst() {
case "swift": swiftSide(Options(arguments))
case "compare": compare(Options(arguments))
default: fail("usage: clip-bench compare [--python PY] [--work DIR] [--threads N] [--seconds S] [--shapes b32,l14] | clip-bench swift MODEL_DIR [--threads N] [--seconds S]")
}
