#ifndef ENGAGE_CSHA256_H
#define ENGAGE_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256's 64 round constants (FIPS 180-4 §4.2.2), for this file's code and the portable loop.
extern const uint32_t engage_sha256_round_constants[64];

/// 1 when this CPU has the x86 SHA extensions (and SSSE3 / SSE4.1 beside them), else 0.
int engage_sha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating the
/// eight state words (FIPS 180-4 order, a first). Only call it when the hardware is available.
void engage_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
