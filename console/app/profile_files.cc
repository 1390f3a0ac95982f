#include "console/app/profile_files.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <cmath>

#include "common/profiles.h"
#include "console/app/fleet_model.h"

namespace qdt::console {
namespace {

// qdt::LoadProfileFile reads at most this much (common/profiles.cc); checked
// here first so that a wrong pick (a movie, a disk image) is refused by its
// size without reading it.
constexpr qint64 kMaxProfileFileBytes = qint64{16} << 20;
// The agent's default test file size (agent/main.cc, --default-file-size).
constexpr uint64_t kAgentDefaultFileSize = uint64_t{1} << 30;

}  // namespace

std::optional<qdt::v1::Profile> LoadProfileFile(const QString& path, QString* error) {
  if (path.isEmpty()) {
    *error = "profile file: no file chosen";
    return std::nullopt;
  }
  const QFileInfo info(path);
  if (info.isFile() && info.size() > kMaxProfileFileBytes) {
    *error = QString("profile file \"%1\": %2 is too large for a profile (at most %3)")
                 .arg(path, SizeWords(static_cast<uint64_t>(info.size())),
                      SizeWords(static_cast<uint64_t>(kMaxProfileFileBytes)));
    return std::nullopt;
  }
  auto profile = qdt::LoadProfileFile(QFile::encodeName(path).toStdString());
  if (!profile.ok()) {
    *error = QString::fromStdString(std::string(profile.status().message()));
    return std::nullopt;
  }
  return *std::move(profile);
}

int ProfileFileCount(const qdt::v1::Profile& profile) {
  int n = 0;
  for (const auto& ph : profile.phases()) {
    for (int i = 0; i < ph.streams_size(); ++i) {
      n = std::max(n, static_cast<int>(qdt::StreamFile(ph, i)) + 1);
    }
  }
  return n;
}

QString SizeWords(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  // Whole numbers without decimals ("1 GiB"), else one ("1.5 GiB").
  const bool whole = std::fabs(v - std::round(v)) < 0.05;
  return QString("%1 %2").arg(whole ? QString::number(std::lround(v)) : QString::number(v, 'f', 1),
                              units[u]);
}

QString DescribeProfile(const qdt::v1::Profile& profile, uint64_t file_size_bytes) {
  QString text = QString::fromStdString(profile.name()) + " — " +
                 DurationWords(qdt::ProfileDurationS(profile));
  bool paced = false;
  for (const auto& ph : profile.phases()) paced = paced || qdt::PhaseTargetBytesPerS(ph) > 0;
  // TargetLevels rounds the peak up to a whole MB/s (2099.2 -> 2100), as the
  // verdict judges it.
  text +=
      paced ? QString(" · peak %1 MB/s").arg(std::lround(qdt::TargetLevels(profile).crossfade_mb_s))
            : QString(" · unpaced max read");
  const int files = ProfileFileCount(profile);
  const uint64_t each = file_size_bytes > 0 ? file_size_bytes : kAgentDefaultFileSize;
  text += QString(" · %1 %2 × %3 = %4")
              .arg(files)
              .arg(files == 1 ? "file" : "files")
              .arg(SizeWords(each), SizeWords(each * static_cast<uint64_t>(files)));
  if (file_size_bytes == 0) text += " (the agent's default file size)";
  return text;
}

}  // namespace qdt::console
