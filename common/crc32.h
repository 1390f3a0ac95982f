// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 and Btrfs metadata):
// the check on each events.log record (agent/run_store.h). Table-driven, one
// byte at a time: a run's log is a few MB, read once at start.
//
// Pure and thread-safe (the table is built once, on first use).
#ifndef QDT_COMMON_CRC32_H_
#define QDT_COMMON_CRC32_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace qdt {

// CRC-32C of `data`; Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(absl::string_view data);

// Continues a CRC over more bytes: Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, absl::string_view data);

}  // namespace qdt

#endif  // QDT_COMMON_CRC32_H_
