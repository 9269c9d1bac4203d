// OpenBLAS, loaded when CLIP first needs it rather than linked into wise.
//
// Why: a linked OpenBLAS starts its thread pool in a constructor when any wise command starts,
// and that idle thread spins on sched_yield for a while (a profile of `wise run --judge openai`
// put about 3% of its CPU there) although only the CLIP judge computes with BLAS. So wise links
// no BLAS; the first CLIP model loads libopenblas.so.0 (Debian's libopenblas0) with dlopen and
// takes the three functions it calls. The declarations below are OpenBLAS's LP64 CBLAS ABI.
#ifndef WISE_CBLAS_SHIM_H
#define WISE_CBLAS_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

enum { WISE_CBLAS_ROW_MAJOR = 101, WISE_CBLAS_NO_TRANS = 111, WISE_CBLAS_TRANS = 112 };

typedef void (*wise_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*wise_set_threads_fn)(int threads);
typedef char *(*wise_corename_fn)(void);

/// The OpenBLAS functions CLIP calls, or the reason they could not be had.
struct wise_blas {
    wise_sgemm_fn sgemm;
    wise_set_threads_fn set_threads;
    wise_corename_fn corename;
    const char *error;
};

/// The one table (a function-local static: Swift's importer emits those, not file-level statics).
static inline struct wise_blas *wise_blas_storage(void) {
    static struct wise_blas table;
    return &table;
}

static inline void wise_blas_open(void) {
    struct wise_blas *table = wise_blas_storage();
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *library = NULL;
    for (size_t i = 0; i < 2 && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) { table->error = "libopenblas.so.0 was not found (install Debian's libopenblas0)"; return; }
    table->sgemm = (wise_sgemm_fn)dlsym(library, "cblas_sgemm");
    table->set_threads = (wise_set_threads_fn)dlsym(library, "openblas_set_num_threads");
    table->corename = (wise_corename_fn)dlsym(library, "openblas_get_corename");
    if (!table->sgemm || !table->set_threads || !table->corename) {
        table->sgemm = NULL;
        table->error = "the OpenBLAS found lacks cblas_sgemm, openblas_set_num_threads or openblas_get_corename";
    }
}

/// Loads OpenBLAS once (thread-safe) and returns its functions; `sgemm` is NULL when it failed.
static inline const struct wise_blas *wise_blas(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, wise_blas_open);
    return wise_blas_storage();
}

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
