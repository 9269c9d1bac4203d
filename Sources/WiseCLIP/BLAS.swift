#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The few BLAS calls CLIP needs: OpenBLAS on Linux, Accelerate on macOS.
public enum BLAS {
    /// C = alpha · A · op(B) + beta · C, row-major; op(B) is Bᵀ when `transposeB`.
    /// A is m×k (leading dimension lda), C is m×n (ldc).
    @inline(__always)
    static func gemm(
        transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets how many threads BLAS uses; Accelerate chooses for itself.
    static func setThreads(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(max(1, count)))
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
        return "OpenBLAS " + String(cString: openblas_get_corename())
        #endif
    }()
}
