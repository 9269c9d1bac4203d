import Dispatch
import Foundation

/// A float buffer with a fixed size, freed with its owner; weights and activations live here
/// so the hot loops work on raw pointers without copy-on-write checks. A local buffer must be
/// kept alive (`withExtendedLifetime`) past the last use of its pointer, since Swift may free
/// an object right after its last visible use.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// A raw pointer that may cross into `concurrentPerform`; callers keep the ranges disjoint.
struct SharedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// Runs `body(part)` for every part in 0..<parts at once, the calling thread included.
///
/// WiseCLIP does its own threading and runs OpenBLAS single-threaded: OpenBLAS's worker
/// threads spin between calls and meet at a barrier inside every GEMM, which on a machine
/// shared with other work loses half the throughput; splitting the work here costs one join.
@inline(__always)
func parallel(_ parts: Int, _ body: @Sendable (Int) -> Void) {
    if parts <= 1 {
        body(0)
    } else {
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
}

/// Runs `body` over `rows` in contiguous ranges on up to `threads` threads when the work is
/// large enough to pay for it.
@inline(__always)
func forEachRowRange(rows: Int, work: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = work >= 1 << 16 ? min(threads, rows) : 1
    parallel(parts) { part in body((rows * part / parts)..<(rows * (part + 1) / parts)) }
}

/// Element-wise math on 8 lanes at a time.
enum Vector {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// eˣ to about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2, a degree-7 Taylor polynomial for eʳ,
    /// 2ⁿ by exponent bits. n is rounded by adding 1.5·2²³, which leaves it in the low mantissa
    /// bits: no float-to-int conversion, which Swift's SIMD types do lane by lane.
    @inline(__always)
    static func exp(_ x: V) -> V {
        // Masked replacement rather than clamped(lowerBound:upperBound:), which is not specialised.
        var clamped = x
        clamped.replace(with: -87.3, where: x .< -87.3)
        clamped.replace(with: 88.0, where: x .> 88.0)
        let shifter: Float = 12_582_912
        let t = clamped * 1.442_695_04 + shifter
        let n = t - shifter
        var r = clamped - n * 0.693_145_75
        r = r - n * 1.428_606_8e-6
        var p = V(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
    }

    @inline(__always)
    static func scalarExp(_ x: Float) -> Float {
        exp(V(repeating: x))[0]
    }

    /// The sum of `count` floats.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = V()
        var i = 0
        while i + 8 <= count { acc += load(p + i); i += 8 }
        var total = acc.sum()
        while i < count { total += p[i]; i += 1 }
        return total
    }
}

/// LayerNorm over the last dimension: (x − mean) · (1/√(var + ε)) · γ + β.
struct LayerNorm: Sendable {
    let weight: FloatBuffer
    let bias: FloatBuffer
    let epsilon: Float

    var dim: Int { weight.count }

    /// Normalises `rows` rows of `x` into `y` (may be the same memory).
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let dim = self.dim, epsilon = self.epsilon
        let input = SharedPointer(base: x), output = SharedPointer(base: y)
        let gamma = SharedPointer(base: weight.pointer), beta = SharedPointer(base: bias.pointer)
        forEachRowRange(rows: rows, work: rows * dim, threads: threads) { range in
            for row in range {
                let src = input.base + row * dim
                let dst = output.base + row * dim
                let mean = Vector.sum(src, dim) / Float(dim)
                var acc = Vector.V()
                var i = 0
                let m = Vector.V(repeating: mean)
                while i + 8 <= dim {
                    let d = Vector.load(src + i) - m
                    acc += d * d
                    i += 8
                }
                var variance = acc.sum()
                while i < dim { let d = src[i] - mean; variance += d * d; i += 1 }
                variance /= Float(dim)
                let rstd = 1 / (variance + epsilon).squareRoot()
                for j in 0..<dim {
                    dst[j] = (src[j] - mean) * rstd * gamma.base[j] + beta.base[j]
                }
            }
        }
    }
}

/// A dense layer y = x·Wᵀ + b with W stored as [out, in], as PyTorch keeps it.
struct Linear: Sendable {
    let weight: FloatBuffer
    let bias: FloatBuffer?
    let inFeatures: Int
    let outFeatures: Int

    /// y = x·Wᵀ + b, or y += x·Wᵀ + b when `accumulate` (a residual connection for free).
    /// With `threads` > 1 and enough work, the output columns are split between threads.
    func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int = 1) {
        guard rows > 0 else { return }
        let parts = threads > 1 && rows * outFeatures * inFeatures >= 1 << 20 ? threads : 1
        if parts == 1 {
            applyColumns(0..<outFeatures, x, rows: rows, into: y, accumulate: accumulate)
            return
        }
        let input = SharedPointer(base: UnsafeMutablePointer(mutating: x)), output = SharedPointer(base: y)
        parallel(parts) { part in
            // Slices start on multiples of 16 columns, the width of the GEMM kernels' tiles.
            func boundary(_ p: Int) -> Int { p == parts ? outFeatures : (outFeatures * p / parts) & ~15 }
            applyColumns(boundary(part)..<boundary(part + 1), input.base, rows: rows, into: output.base, accumulate: accumulate)
        }
    }

    private func applyColumns(_ columns: Range<Int>, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard !columns.isEmpty else { return }
        let first = columns.lowerBound, width = columns.count
        if let bias {
            for row in 0..<rows {
                let dst = y + row * outFeatures + first
                if accumulate {
                    for j in 0..<width { dst[j] += bias.pointer[first + j] }
                } else {
                    dst.update(from: bias.pointer + first, count: width)
                }
            }
        }
        BLAS.gemm(
            transposeB: true, m: rows, n: width, k: inFeatures, a: x, lda: inFeatures, b: weight.pointer + first * inFeatures,
            ldb: inFeatures, beta: (bias != nil || accumulate) ? 1 : 0, c: y + first, ldc: outFeatures)
    }
}

extension CLIPActivation {
    /// Applies the activation in place to `count` floats.
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        let shared = SharedPointer(base: x)
        let chunk = 4096
        let chunks = (count + chunk - 1) / chunk
        let activation = self
        forEachRowRange(rows: chunks, work: count, threads: threads) { range in
            for c in range {
                let start = c * chunk
                activation.applySerial(shared.base + start, count: min(chunk, count - start))
            }
        }
    }

    private func applySerial(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .quickGELU:
            var i = 0
            while i + 8 <= count {
                let v = Vector.load(x + i)
                Vector.store(v / (1 + Vector.exp(-1.702 * v)), x + i)
                i += 8
            }
            while i < count { x[i] = x[i] / (1 + Foundation.exp(-1.702 * x[i])); i += 1 }
        case .gelu:
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erf(x[i] * 0.707_106_77)) }
        case .geluTanh:
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanh(0.797_884_6 * (v + 0.044_715 * v * v * v)))
            }
        }
    }
}

/// Softmax of each row of a rows×columns matrix in place; with `causal`, row i keeps only
/// columns 0…i and the rest become 0.
func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, columns: Int, causal: Bool) {
    for row in 0..<rows {
        let p = s + row * columns
        let live = causal ? row + 1 : columns
        var maximum = -Float.infinity
        for j in 0..<live where p[j] > maximum { maximum = p[j] }
        let m = Vector.V(repeating: maximum)
        var acc = Vector.V()
        var j = 0
        while j + 8 <= live {
            let e = Vector.exp(Vector.load(p + j) - m)
            Vector.store(e, p + j)
            acc += e
            j += 8
        }
        var total = acc.sum()
        while j < live { p[j] = Vector.scalarExp(p[j] - maximum); total += p[j]; j += 1 }
        let inverse = 1 / total
        for k in 0..<live { p[k] *= inverse }
        for k in live..<columns { p[k] = 0 }
    }
}
