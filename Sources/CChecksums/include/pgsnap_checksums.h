#ifndef PGSNAP_CHECKSUMS_H
#define PGSNAP_CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli) as PostgreSQL's pg_crc32c computes it. These functions work on the
 * running value: start from 0xFFFFFFFF and xor the result with 0xFFFFFFFF at the end. */

/// Extends `crc` over `length` bytes, using SSE4.2 when the CPU has it.
uint32_t pgsnap_crc32c_update(uint32_t crc, const void *data, size_t length);

/// Extends `crc` with the table-driven (slice-by-8) code, whatever the CPU offers.
uint32_t pgsnap_crc32c_update_software(uint32_t crc, const void *data, size_t length);

/// Extends `crc` with the SSE4.2 instruction (the software code when the CPU lacks it).
uint32_t pgsnap_crc32c_update_hardware(uint32_t crc, const void *data, size_t length);

/// 1 when this CPU can compute CRC-32C in hardware, else 0.
int pgsnap_crc32c_hardware_available(void);

/// The running state of a SHA-256 computation (FIPS 180-4).
typedef struct pgsnap_sha256_context {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    uint32_t used;
} pgsnap_sha256_context;

void pgsnap_sha256_init(pgsnap_sha256_context *context);
void pgsnap_sha256_update(pgsnap_sha256_context *context, const void *data, size_t length);
/// Writes the 32-byte digest; the context must be initialised again before reuse.
void pgsnap_sha256_final(pgsnap_sha256_context *context, uint8_t digest[32]);

#endif
