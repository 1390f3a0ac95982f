// Profiles from files for the console's profile list (issue 14, item 11): a
// cue stack derived with `qdtctl profile derive --out FILE.json` (or any
// qdt.v1.Profile in JSON or text format) chosen like a built-in profile.
//
// The file goes through the same reader and parser as qdtctl's
// --profile-file (qdt::LoadProfileFile, common/profiles.h): at most 16 MiB
// read, proto3 JSON or text format, validated field by field, so a file the
// console accepts is one qdtctl and the agent accept too.
//
// Thread-safety: free functions, no shared state. LoadProfileFile blocks on
// the file (a profile is small: call it on the GUI thread after a file
// dialog).
#ifndef QDT_CONSOLE_APP_PROFILE_FILES_H_
#define QDT_CONSOLE_APP_PROFILE_FILES_H_

#include <QString>
#include <cstdint>
#include <optional>

#include "qdt/v1/agent.pb.h"

namespace qdt::console {

// The profile in the file, validated; nullopt with `*error` naming the path
// and, for a bad profile, the field and its value ("profile file
// \"/show/mine.json\": phases[1].duration_s: -5 must be a positive number of
// seconds"). A file above 16 MiB is refused by its size, unread.
std::optional<qdt::v1::Profile> LoadProfileFile(const QString& path, QString* error);

// How many test files a run of the profile lays out on the target: the
// highest file index of any stream + 1 (fio::FileCount's rule).
int ProfileFileCount(const qdt::v1::Profile& profile);

// "512 MiB", "1 GiB", "1.5 GiB", "8 GiB".
QString SizeWords(uint64_t bytes);

// The profile list's line for a profile: its name, its total duration in
// words (DurationWords: "30 s", "12 min", "2 h 30 min"), its peak paced
// target, and the disk space its test files take on the target, e.g.
// "my-cue-stack — 30 s · peak 2100 MB/s · 8 files × 1 GiB = 8 GiB".
// `file_size_bytes` is the size the console asks for (StartRunRequest's
// file_size_bytes); 0 = the agent's default, 1 GiB unless the agent's config
// says otherwise, and the line says so.
QString DescribeProfile(const qdt::v1::Profile& profile, uint64_t file_size_bytes);

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_PROFILE_FILES_H_
