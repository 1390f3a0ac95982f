# Integration and end-to-end tests. They share the disk, so they run one at a
# time (RESOURCE_LOCK) while unit tests run beside them.
add_library(qdt_test_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/harness.cc)
target_include_directories(qdt_test_harness PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(qdt_test_harness PUBLIC qdt_agent qdt_client GTest::gtest nlohmann_json::nlohmann_json
                                        PRIVATE qdt_warnings)
target_compile_definitions(qdt_test_harness PRIVATE
  QDT_AGENT_BINARY="$<TARGET_FILE:qdt-agent>"
  QDT_QDTCTL_BINARY="$<TARGET_FILE:qdtctl>"
  QDT_BINARY_DIR="${PROJECT_BINARY_DIR}")
add_dependencies(qdt_test_harness qdt-agent qdtctl)

# The probes' unit tests list themselves (QDT_PROBE_TEST_SOURCES).
include(${CMAKE_CURRENT_LIST_DIR}/../unit/probes_tests.cmake)
qdt_add_test(agent_unit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/run_store_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/../unit/token_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/../unit/volumes_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/../unit/config_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/../unit/doctor_test.cc
          ${QDT_PROBE_TEST_SOURCES}
  LIBS qdt_test_harness LABELS unit)
qdt_add_test(agent_integration_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/setup_check_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/bad_input_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/failure_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/modes_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/crosscheck_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/gapless_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/power_hold_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/macos_reads_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/drive_temperature_test.cc
  LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)
