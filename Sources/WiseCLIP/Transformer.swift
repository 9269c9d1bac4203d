import Synchronization

/// Reads weights by name from a safetensors file, checks their shapes, converts them to
/// `Float` once and releases the file's pages as it goes.
struct WeightLoader {
    let file: SafetensorsFile

    /// Tensor `name`, which must hold `shape` (sizes of 1 may be added or dropped, as for
    /// `logit_scale`, stored as a scalar) and only finite values.
    func tensor(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
        let entry = try file.entry(name)
        guard let expected = SafetensorsFile.checkedCount(shape), let count = SafetensorsFile.checkedCount(entry.shape),
            entry.shape == shape || count == expected && entry.shape.filter({ $0 != 1 }) == shape.filter({ $0 != 1 })
        else {
            throw CLIPError(.badData, "\(file.path): tensor \(name) has shape \(entry.shape), the config implies \(shape)")
        }
        let buffer = FloatBuffer(count: count)
        try file.convert(name, into: buffer.pointer)
        file.release(name)
        // x · 0 is 0 for every finite x and NaN otherwise; one vectorised pass finds out.
        var probe: Float = 0
        for i in 0..<count { probe += buffer.pointer[i] * 0 }
        if !probe.isFinite, let index = (0..<count).first(where: { !buffer.pointer[$0].isFinite }) {
            throw CLIPError(.badData, "\(file.path): tensor \(name) holds \(buffer.pointer[index]) at index \(index); weights must be finite")
        }
        return buffer
    }

    /// Several tensors of the same trailing shape stacked along the first axis.
    func stacked(_ names: [String], _ shape: [Int]) throws -> FloatBuffer {
        let part = shape.reduce(1, *)
        let buffer = FloatBuffer(count: part * names.count)
        for (index, name) in names.enumerated() {
            let single = try tensor(name, shape)
            withExtendedLifetime(single) { (buffer.pointer + index * part).update(from: single.pointer, count: part) }
        }
        return buffer
    }

    func layerNorm(_ prefix: String, dim: Int, epsilon: Float) throws -> LayerNorm {
        LayerNorm(weight: try tensor(prefix + ".weight", [dim]), bias: try tensor(prefix + ".bias", [dim]), epsilon: epsilon)
    }

    func linear(_ prefix: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws -> Linear {
        Linear(
            weight: try tensor(prefix + ".weight", [outFeatures, inFeatures]),
            bias: bias ? try tensor(prefix + ".bias", [outFeatures]) : nil,
            inFeatures: inFeatures, outFeatures: outFeatures)
    }
}

/// One pre-LayerNorm transformer block: x += attn(ln1(x)); x += mlp(ln2(x)).
struct EncoderLayer: Sendable {
    let norm1: LayerNorm
    /// q, k and v projections stacked into one [3D, D] matrix, so one GEMM makes all three.
    let qkv: Linear
    let output: Linear
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear

    init(loader: WeightLoader, prefix: String, config: CLIPTowerConfig) throws {
        let d = config.hiddenSize, eps = config.layerNormEpsilon
        norm1 = try loader.layerNorm(prefix + ".layer_norm1", dim: d, epsilon: eps)
        let attention = prefix + ".self_attn."
        qkv = Linear(
            weight: try loader.stacked(["q_proj", "k_proj", "v_proj"].map { attention + $0 + ".weight" }, [d, d]),
            bias: try loader.stacked(["q_proj", "k_proj", "v_proj"].map { attention + $0 + ".bias" }, [d]),
            inFeatures: d, outFeatures: 3 * d)
        output = try loader.linear(attention + "out_proj", in: d, out: d)
        norm2 = try loader.layerNorm(prefix + ".layer_norm2", dim: d, epsilon: eps)
        fc1 = try loader.linear(prefix + ".mlp.fc1", in: d, out: config.intermediateSize)
        fc2 = try loader.linear(prefix + ".mlp.fc2", in: config.intermediateSize, out: d)
    }
}

/// Activation memory, kept between calls: fresh multi-megabyte allocations come back from
/// the kernel as zeroed pages, and faulting them in cost a tenth of a forward pass.
final class Workspace: @unchecked Sendable {
    /// What each buffer holds.
    enum Slot: Int, CaseIterable {
        case input, residual, normed, qkv, context, hidden, scores, patches
    }

    private var buffers: [FloatBuffer?] = Array(repeating: nil, count: Slot.allCases.count)

    /// The buffer for `slot`, grown to at least `count` floats; contents are unspecified.
    func pointer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        if let buffer = buffers[slot.rawValue], buffer.count >= count { return buffer.pointer }
        let buffer = FloatBuffer(count: count)
        buffers[slot.rawValue] = buffer
        return buffer.pointer
    }
}

/// Workspaces not in use; each call takes one (or makes one) and gives it back, so
/// concurrent calls never share one.
final class WorkspacePool: Sendable {
    private let free = Mutex<[Workspace]>([])

    func with<Result>(_ body: (Workspace) throws -> Result) rethrows -> Result {
        let workspace = free.withLock { $0.popLast() } ?? Workspace()
        defer { free.withLock { $0.append(workspace) } }
        return try body(workspace)
    }
}

/// A stack of encoder layers over a batch of equal-length sequences.
struct Encoder: Sendable {
    let config: CLIPTowerConfig
    let layers: [EncoderLayer]

    init(loader: WeightLoader, prefix: String, config: CLIPTowerConfig) throws {
        self.config = config
        layers = try (0..<config.layers).map { try EncoderLayer(loader: loader, prefix: "\(prefix).layers.\($0)", config: config) }
    }

    /// Runs every layer over `x`, `batch` sequences of `tokens` rows each, in place.
    func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, causal: Bool, threads: Int, workspace: Workspace) {
        let rows = batch * tokens
        let d = config.hiddenSize
        let heads = config.heads
        let headDim = d / heads
        let scale = 1 / Float(headDim).squareRoot()
        let normed = workspace.pointer(.normed, count: rows * d)
        let qkv = workspace.pointer(.qkv, count: rows * 3 * d)
        let context = workspace.pointer(.context, count: rows * d)
        let hidden = workspace.pointer(.hidden, count: rows * config.intermediateSize)
        let pairs = batch * heads
        let parts = min(threads, pairs)
        let scores = SharedPointer(base: workspace.pointer(.scores, count: parts * tokens * tokens))
        let qkvShared = SharedPointer(base: qkv), contextShared = SharedPointer(base: context)
        for layer in layers {
            layer.norm1.apply(x, rows: rows, into: normed, threads: threads)
            layer.qkv.apply(normed, rows: rows, into: qkv, threads: threads)
            // Each (sequence, head) pair is independent; threads take every parts-th pair.
            parallel(parts) { part in
                let s = scores.base + part * tokens * tokens
                for pair in stride(from: part, to: pairs, by: parts) {
                    let b = pair / heads, h = pair % heads
                    let q = qkvShared.base + b * tokens * 3 * d + h * headDim
                    // Scores and weighted values straight from the strided q/k/v rows: no copies.
                    BLAS.gemm(
                        transposeB: true, m: tokens, n: tokens, k: headDim, alpha: scale, a: q, lda: 3 * d,
                        b: q + d, ldb: 3 * d, beta: 0, c: s, ldc: tokens)
                    softmaxRows(s, rows: tokens, columns: tokens, causal: causal)
                    BLAS.gemm(
                        transposeB: false, m: tokens, n: headDim, k: tokens, a: s, lda: tokens,
                        b: q + 2 * d, ldb: 3 * d, beta: 0, c: contextShared.base + b * tokens * d + h * headDim, ldc: d)
                }
            }
            layer.output.apply(context, rows: rows, into: x, accumulate: true, threads: threads)
            layer.norm2.apply(x, rows: rows, into: normed, threads: threads)
            layer.fc1.apply(normed, rows: rows, into: hidden, threads: threads)
            config.activation.apply(hidden, count: rows * config.intermediateSize, threads: threads)
            layer.fc2.apply(hidden, rows: rows, into: x, accumulate: true, threads: threads)
        }
    }
}
