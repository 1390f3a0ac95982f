# Unit tests of agent/probes (parsers on real captures, the thermal monitor),
# compiled into agent_unit_test.
set(QDT_PROBE_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/thermal_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/darwin_parsers_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_parsers_test.cc
)
