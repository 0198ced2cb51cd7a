// CRC32C (Castagnoli), as used by the segment frame format. Uses the SSE4.2
// instruction when the CPU has it and a table otherwise; both give the same
// value (checked by crc32c_test).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rewindmq::storage {

// Returns the CRC32C of `data[0, n)` continued from `crc` (the value of an
// earlier call, or 0 to start).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

namespace internal {
// The portable path, exposed so tests can compare both.
uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc);
}  // namespace internal

}  // namespace rewindmq::storage
