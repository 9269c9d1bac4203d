// OpenBLAS's CBLAS interface (Debian's libopenblas-dev; pkg-config name `openblas`).
// Only what WiseCLIP calls is relied on: cblas_sgemm, openblas_set_num_threads and
// openblas_get_corename.
#ifndef WISE_CBLAS_SHIM_H
#define WISE_CBLAS_SHIM_H
#include <cblas.h>
#endif
