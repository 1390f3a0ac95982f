// Plain value types that cross from the agent links' threads to the GUI
// thread through queued signals (docs/STYLE.md: worker threads never touch the
// model or a widget). Everything here is copyable and registered with Qt's
// meta-type system in RegisterFleetTypes().
#ifndef QDT_CONSOLE_APP_FLEET_TYPES_H_
#define QDT_CONSOLE_APP_FLEET_TYPES_H_

#include <QMetaType>
#include <QString>
#include <QVector>
#include <cstdint>
#include <optional>

#include "qdt/v1/agent.pb.h"

namespace qdt::console {

// What a link knows about its agent after GetInfo / ListVolumes.
struct AgentSnapshot {
  QString key;  // "host:port", the agent's identity in the console
  bool online = false;
  QString error;  // why it is offline; empty when online
  QString hostname, platform, active_run_id;
  QVector<qdt::v1::Volume> volumes;
  int reconnect_in_ms = 0;  // next attempt while offline
  // The agent's clock (AgentLink, docs/CLOCKS.md): from the GetInfo round
  // trip with the smallest RTT; unset = not measured or not usable.
  std::optional<double> clock_offset_ms;  // agent clock − console clock
  double clock_rtt_ms = 0;
  // The agent's record of its active run (ListRuns, asked once per run): its
  // profile, phase count, planned duration and start, so a run started by
  // qdtctl, another console or before this console started shows its phase
  // and time left too.
  std::optional<qdt::v1::Run> active_run;
};

// One event of a run, as read from WatchRun.
struct AgentEvent {
  QString key;
  QString run_id;
  qdt::v1::RunEvent event;
  int64_t read_ns = 0;  // steady clock when the link read it
};

// One WatchTelemetry message while the agent is idle.
struct AgentTelemetry {
  QString key;
  std::optional<double> temperature_c;
  QString temperature_source;  // the drive it came from, or why there is none
  qdt::v1::ThermalPressure pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
};

// The answer to a command the console sent (StartRun, StopRun).
struct CommandResult {
  QString key;
  QString command;  // "start", "stop"
  bool ok = false;
  QString message;  // the run id on success, the agent's error otherwise
  qdt::v1::Run run;
};

void RegisterFleetTypes();

}  // namespace qdt::console

Q_DECLARE_METATYPE(qdt::console::AgentSnapshot)
Q_DECLARE_METATYPE(qdt::console::AgentEvent)
Q_DECLARE_METATYPE(qdt::console::AgentTelemetry)
Q_DECLARE_METATYPE(qdt::console::CommandResult)

#endif  // QDT_CONSOLE_APP_FLEET_TYPES_H_
