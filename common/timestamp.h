// Wall-clock timestamps for the protos. protobuf's TimeUtil::GetCurrentTime
// (protobuf 3.21 as Debian 12 ships it) returns whole seconds — nanos always
// 0 —, which would put every event of a second at the same instant and make
// the agent's clock useless for a synchronised start. These use absl::Now().
//
// Thread-safe.
#ifndef QDT_COMMON_TIMESTAMP_H_
#define QDT_COMMON_TIMESTAMP_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace qdt {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
// Now, to the nanosecond the system clock gives.
google::protobuf::Timestamp NowTimestamp();

}  // namespace qdt

#endif  // QDT_COMMON_TIMESTAMP_H_
