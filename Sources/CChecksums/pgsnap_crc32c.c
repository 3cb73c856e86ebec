#include "pgsnap_checksums.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define PGSNAP_HAVE_SSE42_PATH 1
#endif

/* Reflected Castagnoli polynomial, the one pg_crc32c uses. */
#define CRC32C_POLYNOMIAL 0x82F63B78u

static uint32_t slice_tables[8][256];
static int hardware_available;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* Builds the slice-by-8 tables and probes the CPU once, so the hot path only reads. */
static void setup(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ CRC32C_POLYNOMIAL : crc >> 1;
        slice_tables[0][byte] = crc;
    }
    for (uint32_t byte = 0; byte < 256; byte++)
        for (int table = 1; table < 8; table++) {
            uint32_t previous = slice_tables[table - 1][byte];
            slice_tables[table][byte] = (previous >> 8) ^ slice_tables[0][previous & 0xff];
        }
#ifdef PGSNAP_HAVE_SSE42_PATH
    __builtin_cpu_init();
    hardware_available = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

static inline uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int pgsnap_crc32c_hardware_available(void)
{
    pthread_once(&setup_once, setup);
    return hardware_available;
}

uint32_t pgsnap_crc32c_update_software(uint32_t crc, const void *data, size_t length)
{
    pthread_once(&setup_once, setup);
    const unsigned char *p = data;
    /* Explicit little-endian loads keep the result the same on any byte order. */
    while (length >= 8) {
        uint32_t low = crc ^ load_le32(p);
        uint32_t high = load_le32(p + 4);
        crc = slice_tables[7][low & 0xff] ^ slice_tables[6][(low >> 8) & 0xff] ^
              slice_tables[5][(low >> 16) & 0xff] ^ slice_tables[4][low >> 24] ^
              slice_tables[3][high & 0xff] ^ slice_tables[2][(high >> 8) & 0xff] ^
              slice_tables[1][(high >> 16) & 0xff] ^ slice_tables[0][high >> 24];
        p += 8;
        length -= 8;
    }
    while (length--)
        crc = (crc >> 8) ^ slice_tables[0][(crc ^ *p++) & 0xff];
    return crc;
}

#ifdef PGSNAP_HAVE_SSE42_PATH
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t length)
{
    /* Align to 8 bytes so the 64-bit loads never straddle a cache line needlessly. */
    while (length > 0 && ((uintptr_t)p & 7) != 0) {
        crc = _mm_crc32_u8(crc, *p++);
        length--;
    }
#if defined(__x86_64__)
    uint64_t wide = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, sizeof word);
        wide = _mm_crc32_u64(wide, word);
        p += 8;
        length -= 8;
    }
    crc = (uint32_t)wide;
#endif
    while (length >= 4) {
        uint32_t word;
        memcpy(&word, p, sizeof word);
        crc = _mm_crc32_u32(crc, word);
        p += 4;
        length -= 4;
    }
    while (length--)
        crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#endif

uint32_t pgsnap_crc32c_update_hardware(uint32_t crc, const void *data, size_t length)
{
#ifdef PGSNAP_HAVE_SSE42_PATH
    if (pgsnap_crc32c_hardware_available())
        return crc32c_sse42(crc, data, length);
#endif
    return pgsnap_crc32c_update_software(crc, data, length);
}

uint32_t pgsnap_crc32c_update(uint32_t crc, const void *data, size_t length)
{
    return pgsnap_crc32c_update_hardware(crc, data, length);
}
