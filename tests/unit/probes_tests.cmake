# Unit tests of agent/probes, one file per probe file (parsers on real
# captures, hwmon on a fake sysfs tree, the thermal monitor and ReadSmartctl
# through a fake CommandRunner), compiled into agent_unit_test.
set(QDT_PROBE_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/command_runner_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/diskstats_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/diskutil_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/hwmon_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/ioreg_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/iostat_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/mdutil_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/plist_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/pmset_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/powermetrics_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/smartctl_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/sysctl_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/system_profiler_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/thermal_monitor_test.cc
)
