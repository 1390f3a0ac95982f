// SampleStore is what the console remembers, in one SQLite file (QtSql):
// the agents it was given (address and rig token), every run it saw with the
// drive's serial and the verdict (with its flags), and every sample of every
// run, keyed by (agent, run, seq) so a back-filled event is stored once: fio's
// read rate and, beside it, what the drive's own kernel counter delivered over
// the same interval. The charts draw a decimated copy; reports and CSV / JSON
// exports read from here. A store written before the drive's rate was kept
// gets its column on open (ALTER TABLE; its old samples read as "no counter").
// A stall (agent.proto Sample.stalled: fio said nothing, no rate measured) is
// kept as a row marked stalled = 1 with how long fio had been silent
// (silent_s) and no rate (read_mb_s and device_mb_s NULL, so no SQL average
// counts it); exports carry the mark and leave its rates empty. A store from
// before stalls were kept gains both columns on open; its rows read as
// measured (stalled = 0).
//
// Thread-safety: one thread (the GUI thread); QtSql connections are bound to
// the thread that opened them.
#ifndef QDT_CONSOLE_APP_SAMPLE_STORE_H_
#define QDT_CONSOLE_APP_SAMPLE_STORE_H_

#include <QString>
#include <QVector>
#include <cmath>
#include <optional>
#include <utility>

#include "console/app/fleet_types.h"

namespace qdt::console {

// The longest silence a stalled sample can report that the console
// believes (a week); beyond it, or not a positive number, the silence is
// unknown: the board says "fio silent" without a figure, the store keeps
// silent_s NULL and the chart marks the stall with no width.
inline constexpr double kMaxStallS = 7 * 24 * 3600;
inline bool UsableSilence(double silent_s) {
  return std::isfinite(silent_s) && silent_s > 0 && silent_s <= kMaxStallS;
}

struct StoredSample {
  uint64_t seq = 0;
  double wall_s = 0;  // Unix seconds
  int phase = -1;
  double read_mb_s = 0, target_mb_s = 0;
  std::optional<double> temperature_c;
  // What the drive itself delivered (Sample.device_read_bytes_per_s, in MB/s);
  // unset = no counter (or a sample stored before the console kept it).
  std::optional<double> device_mb_s;
  // A stall: no rate was measured (read_mb_s is 0 and device_mb_s unset
  // here; never count them), fio had been silent for silent_s (unset when
  // the agent's figure was not a positive number).
  bool stalled = false;
  std::optional<double> silent_s;
};

struct StoredPhase {
  int index = 0;
  QString name;
  double start_wall_s = 0, duration_s = 0, target_mb_s = 0;
};

struct StoredRun {
  QString agent, run_id, serial, model, volume, profile;
  double started_s = 0;
  QString state;  // "RUNNING", "DONE", ...
  std::optional<qdt::v1::Verdict> verdict;
};

class SampleStore {
 public:
  SampleStore();
  ~SampleStore();
  SampleStore(const SampleStore&) = delete;
  SampleStore& operator=(const SampleStore&) = delete;

  // Opens (creating, or bringing an older store's tables up to date without
  // losing a row) the SQLite file; the error names the path.
  bool open(const QString& path, QString* error);

  bool addAgent(const QString& address, const QString& token);
  bool removeAgent(const QString& address);
  QVector<std::pair<QString, QString>> agents() const;  // (address, token), in the order added
  // The Mac's name as the designer gave it ("Stage L main") and the folder it
  // tests, kept per agent address; "" when none. Setting "" clears it; false
  // when the agent is not in the store.
  bool setAgentName(const QString& address, const QString& name);
  QString agentName(const QString& address) const;
  bool setAgentTarget(const QString& address, const QString& target);
  QString agentTarget(const QString& address) const;

  // Console settings kept between starts (the rig's CA). An empty value
  // removes the key; a missing key reads as "".
  bool setSetting(const QString& key, const QString& value);
  QString setting(const QString& key) const;

  // A run seen on an agent, with the drive it tests.
  void upsertRun(const StoredRun& run);
  // Stores the events of one batch in one transaction: samples, phase
  // changes, state changes and the verdict. Returns how many samples were new.
  int storeEvents(const QVector<AgentEvent>& events);

  QVector<StoredSample> samples(const QString& agent, const QString& run_id) const;
  int sampleCount(const QString& agent, const QString& run_id) const;
  QVector<StoredPhase> phases(const QString& agent, const QString& run_id) const;
  QVector<StoredRun> runs() const;                                // newest first
  QVector<StoredRun> runsForSerial(const QString& serial) const;  // a drive's history
  std::optional<StoredRun> run(const QString& agent, const QString& run_id) const;
  // The agent's newest run (by start), for a console that starts again.
  std::optional<StoredRun> latestRun(const QString& agent) const;
  // The highest sample seq stored for a run (0 = none): where following it resumes.
  uint64_t lastSampleSeq(const QString& agent, const QString& run_id) const;

  // Every sample of the given runs (all runs when empty): CSV with a header
  // line, or a JSON array of runs with their samples. The error names the path.
  bool exportCsv(const QString& path, const QVector<std::pair<QString, QString>>& runs,
                 QString* error) const;
  bool exportJson(const QString& path, const QVector<std::pair<QString, QString>>& runs,
                  QString* error) const;

 private:
  bool setAgentField(const QString& address, const char* column, const QString& value);
  QString agentField(const QString& address, const char* column) const;

  QString connection_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_SAMPLE_STORE_H_
