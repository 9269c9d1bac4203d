// OpenBLAS's CBLAS interface (Debian's libopenblas-dev; pkg-config name `openblas`).
// Only what WiseCLIP calls is relied on: cblas_sgemm, openblas_set_num_threads and
// openblas_get_corename.
#ifndef WISE_CBLAS_SHIM_H
#define WISE_CBLAS_SHIM_H
#include <cblas.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

/// Whether this CPU has AVX-512 F, CD, DQ, BW and VL and the OS saves the ZMM state: where
/// it does, OpenBLAS's AVX2 kernels leave about half of sgemm's speed unused.
static inline int wise_cpu_has_avx512(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;   // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6u) != 0xE6u) return 0;                                  // XMM, YMM, opmask, ZMM
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    return (b & need) == need;
#else
    return 0;
#endif
}
#endif
