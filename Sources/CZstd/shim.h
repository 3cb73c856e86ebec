/* Advanced parameters (ZSTD_c_nbWorkers, frame inspection) sit behind this guard. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
