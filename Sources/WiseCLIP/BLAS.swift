import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The few BLAS calls CLIP needs: OpenBLAS on Linux (loaded on first use, see `CBLAS/shim.h`),
/// Accelerate on macOS.
public enum BLAS {
    /// Loads BLAS if it is not yet loaded; throws a one-line error naming the package to install.
    /// Every computation path calls this first (`CLIPModel` does on load).
    public static func load() throws {
        #if !canImport(Accelerate)
        guard wise_blas().pointee.sgemm != nil else {
            throw CLIPError(.unavailable, "the CLIP judge needs OpenBLAS: \(String(cString: wise_blas().pointee.error))")
        }
        #endif
    }

    /// C = alpha · A · op(B) + beta · C, row-major; op(B) is Bᵀ when `transposeB`.
    /// A is m×k (leading dimension lda), C is m×n (ldc).
    @inline(__always)
    static func gemm(
        transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        #if canImport(Accelerate)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        #else
        // `load()` has succeeded before any model computes; a nil here is a bug in wise.
        let sgemm = wise_blas().pointee.sgemm!
        sgemm(Int32(WISE_CBLAS_ROW_MAJOR), Int32(WISE_CBLAS_NO_TRANS),
              Int32(transposeB ? WISE_CBLAS_TRANS : WISE_CBLAS_NO_TRANS),
              Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        #endif
    }

    /// Sets how many threads BLAS uses; Accelerate chooses for itself.
    static func setThreads(_ count: Int) {
        #if !canImport(Accelerate)
        wise_blas().pointee.set_threads?(Int32(max(1, count)))
        #endif
    }

    /// The kernels BLAS runs, e.g. "OpenBLAS Haswell" (AVX2) or "OpenBLAS Cooperlake"
    /// (AVX-512). OpenBLAS chooses them from the CPU when it loads, or as `OPENBLAS_CORETYPE`
    /// says; wise leaves that choice alone, and records the name beside CLIP results, since
    /// kernels round differently in the last bits.
    public static let kernels: String = {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let corename = wise_blas().pointee.corename, let name = corename() else { return "OpenBLAS (not loaded)" }
        return "OpenBLAS " + String(cString: name)
        #endif
    }()

    /// Whether the CPU has AVX-512 (F, CD, DQ, BW, VL) with the OS saving its state.
    public static let cpuHasAVX512: Bool = {
        #if canImport(Accelerate)
        return false
        #else
        return wise_cpu_has_avx512() == 1
        #endif
    }()

    /// A note for the user when `OPENBLAS_CORETYPE` holds OpenBLAS to AVX2 (or older)
    /// kernels on a CPU with AVX-512, or nil. wise never overrides the variable: some machines
    /// set it because older OpenBLAS builds fail on newer processors.
    public static func kernelAdvice(environment: [String: String] = ProcessInfo.processInfo.environment,
                                    kernels: String = BLAS.kernels, cpuHasAVX512: Bool = BLAS.cpuHasAVX512) -> String? {
        guard cpuHasAVX512, let forced = environment["OPENBLAS_CORETYPE"], !forced.isEmpty,
              kernels.hasPrefix("OpenBLAS "),
              ["haswell", "zen", "sandybridge", "nehalem", "core2", "prescott"].contains(kernels.dropFirst(9).lowercased())
        else { return nil }
        return "OPENBLAS_CORETYPE=\(forced) holds OpenBLAS to its \(kernels.dropFirst(9)) kernels on a CPU with AVX-512;"
            + " where your OpenBLAS build handles this CPU, unsetting OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) lets it"
            + " choose AVX-512 kernels, 1.5–1.8× faster for CLIP"
    }
}
