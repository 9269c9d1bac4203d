import Foundation
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

    @Test func theAVX512CheckAgreesWithTheKernelsCPUFlags() throws {
        #if os(Linux) && arch(x86_64)
        // Given the flags the kernel reports for the first CPU
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        // Then CPUID says AVX-512 exactly when F, CD, DQ, BW and VL are all listed
        let listed = ["avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains)
        #expect(BLAS.cpuHasAVX512 == listed, "flags: \(flags.filter { $0.hasPrefix("avx") }.sorted())")
        #endif
    }

    @Test func aForcedAVX2CoreOnAnAVX512CPUGetsANote() {
        // Given OPENBLAS_CORETYPE=Haswell on a CPU with AVX-512
        let forced = ["OPENBLAS_CORETYPE": "Haswell"]
        // Then the user is told, naming the variable and the kernels
        let advice = BLAS.kernelAdvice(environment: forced, kernels: "OpenBLAS Haswell", cpuHasAVX512: true)
        #expect(advice?.contains("OPENBLAS_CORETYPE=Haswell holds OpenBLAS to its Haswell kernels") == true, "\(advice ?? "nil")")
        // And not when the CPU has no AVX-512, nothing was forced, or the kernels are AVX-512 ones
        #expect(BLAS.kernelAdvice(environment: forced, kernels: "OpenBLAS Haswell", cpuHasAVX512: false) == nil)
        #expect(BLAS.kernelAdvice(environment: [:], kernels: "OpenBLAS Haswell", cpuHasAVX512: true) == nil)
        #expect(BLAS.kernelAdvice(environment: ["OPENBLAS_CORETYPE": "SkylakeX"], kernels: "OpenBLAS SkylakeX", cpuHasAVX512: true) == nil)
        #expect(BLAS.kernelAdvice(environment: forced, kernels: "Accelerate", cpuHasAVX512: true) == nil)
    }
}
