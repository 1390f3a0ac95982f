# agent/probes: what the agent knows about the machine, one file per external
# tool (each header says what it parses and whether it runs anything).
# Compiled into qdt_agent.
target_sources(qdt_agent PRIVATE
  # Running tools, and the backends that put the tools together.
  ${CMAKE_CURRENT_LIST_DIR}/command_runner.cc
  ${CMAKE_CURRENT_LIST_DIR}/platform.cc
  ${CMAKE_CURRENT_LIST_DIR}/platform_probe.cc
  ${CMAKE_CURRENT_LIST_DIR}/qlab.cc
  ${CMAKE_CURRENT_LIST_DIR}/thermal_monitor.cc
  ${CMAKE_CURRENT_LIST_DIR}/thermal_pressure.cc
  # One per tool: pure parsers, except hwmon (reads sysfs), ReadSmartctl and
  # ReadAioLimits (sysctl).
  ${CMAKE_CURRENT_LIST_DIR}/diskstats.cc
  ${CMAKE_CURRENT_LIST_DIR}/diskutil.cc
  ${CMAKE_CURRENT_LIST_DIR}/hwmon.cc
  ${CMAKE_CURRENT_LIST_DIR}/ioreg.cc
  ${CMAKE_CURRENT_LIST_DIR}/iostat.cc
  ${CMAKE_CURRENT_LIST_DIR}/parse_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/plist.cc
  ${CMAKE_CURRENT_LIST_DIR}/mdutil.cc
  ${CMAKE_CURRENT_LIST_DIR}/pmset.cc
  ${CMAKE_CURRENT_LIST_DIR}/powermetrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/smartctl.cc
  ${CMAKE_CURRENT_LIST_DIR}/sysctl.cc
  ${CMAKE_CURRENT_LIST_DIR}/system_profiler.cc
)
# The thermal pressure without a child process (notify(3)): macOS only.
if(APPLE)
  target_sources(qdt_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/thermal_pressure_darwin.cc)
endif()
