// Units and the targets the request fixed. "MB" in this product is 10^6 bytes,
// as in drive data sheets and Apple's ProRes tables; fio's "bw" is KiB/s and is
// never shown to users (see fio/README.md).
#ifndef QDT_COMMON_UNITS_H_
#define QDT_COMMON_UNITS_H_

#include <cstdint>

namespace qdt {

inline constexpr double kBytesPerMB = 1e6;
inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// Normal playback: 1 x 4K stream (440 MB/s) + 3 x HD streams (72 MB/s).
inline constexpr double kNormalTargetMBps = 656.0;
// Crossfade peak: 656 MB/s x 2 streams x 1.6 safety = 2099.2, rounded up as requested.
inline constexpr double kCrossfadeTargetMBps = 2100.0;
// A 1-second window misses when it delivers less than this share of its paced target.
inline constexpr double kWindowPassFraction = 0.95;

inline double BytesToMB(double bytes) { return bytes / kBytesPerMB; }
inline double MBToBytes(double mb) { return mb * kBytesPerMB; }

}  // namespace qdt

#endif  // QDT_COMMON_UNITS_H_
