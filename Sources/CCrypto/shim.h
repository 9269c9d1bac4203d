#ifndef WISE_CCRYPTO_SHIM_H
#define WISE_CCRYPTO_SHIM_H
/* The system's libcrypto (OpenSSL), for SHA-256 at the speed of its assembly (SHA-NI where the CPU has it). */
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
