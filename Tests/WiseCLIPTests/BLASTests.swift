import Testing
@testable import WiseCLIP

/// The BLAS wrapper against a double-precision reference, on whichever kernels the library
/// chose for this machine (some older OpenBLAS builds compute wrong results on newer CPUs).
@Suite struct BLASTests {
    /// Deterministic values in [-1, 1).
    struct Numbers {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
        mutating func matrix(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    @Test(arguments: [
        (1, 1, 1), (1, 77, 64), (7, 9, 13), (16, 17, 31), (50, 768, 64), (50, 50, 64), (33, 257, 129), (200, 96, 300),
    ])
    func gemmMatchesADoublePrecisionReference(shape: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = shape
        for transposeB in [false, true] {
            for beta: Float in [0, 1] {
                // Given random A (m×k), B (k×n, or n×k when transposed) and C
                var numbers = Numbers(state: UInt64(m * 1_000_003 + n * 1_009 + k))
                let a = numbers.matrix(m * k), b = numbers.matrix(k * n), c0 = numbers.matrix(m * n)
                var c = c0
                // When C = 0.75·A·op(B) + beta·C is computed by BLAS
                BLAS.gemm(transposeB: transposeB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: k, b: b, ldb: transposeB ? k : n,
                          beta: beta, c: &c, ldc: n)
                // Then every element is within 1e-5 of the reference, relative to the sum of its terms' sizes
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, size = 0.0
                        for p in 0..<k {
                            let term = Double(a[i * k + p]) * Double(transposeB ? b[j * k + p] : b[p * n + j])
                            sum += term
                            size += abs(term)
                        }
                        let expected = 0.75 * sum + Double(beta) * Double(c0[i * n + j])
                        let scale = 0.75 * size + abs(Double(beta) * Double(c0[i * n + j])) + 1e-30
                        worst = max(worst, abs(Double(c[i * n + j]) - expected) / scale)
                    }
                }
                #expect(worst < 1e-5, "\(BLAS.kernels): \(m)×\(n)×\(k) transposeB \(transposeB) beta \(beta): relative error \(worst)")
            }
        }
    }
}
