# Hardening, network area (issue 15 items 1, 10, 11, 13, 14, 15, 17-token):
# connection bursts, reply sizes, tokens, config bounds, log throttling.
qdt_add_test(network_unit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_quote_test.cc
  LIBS qdt_common LABELS unit)
