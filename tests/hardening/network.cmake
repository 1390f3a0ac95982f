# Hardening, network area (issue 15 items 1, 10, 11, 13, 14, 15, 17-token):
# connection bursts, reply sizes, tokens, config bounds, log throttling.
qdt_add_test(network_unit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_quote_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/network_throttle_test.cc
  LIBS qdt_agent LABELS unit)
# Real agent processes, real gRPC on loopback, real fio: one at a time with
# the other disk users.
qdt_add_test(network_process_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_burst_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/network_auth_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/network_config_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/network_list_runs_test.cc
  LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)
