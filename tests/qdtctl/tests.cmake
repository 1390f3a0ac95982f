# qdtctl's command table: the parser and the generated help (unit tests of
# qdt_qdtctl), and the built qdtctl binary's help and usage errors (no agent).
qdt_add_test(qdtctl_command_table_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/command_table_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/format_checks_test.cc
  LIBS qdt_qdtctl LABELS unit)
qdt_add_test(qdtctl_process_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/qdtctl_process_test.cc
  LIBS qdt_qdtctl LABELS unit)
target_compile_definitions(qdtctl_process_test PRIVATE QDTCTL_BINARY="$<TARGET_FILE:qdtctl>")
add_dependencies(qdtctl_process_test qdtctl)
# The live status line's text (console/client FormatStatusLine): width, n/a.
qdt_add_test(qdtctl_status_line_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/status_line_test.cc
  LIBS qdt_client LABELS unit)
# qdtctl on a pseudo-terminal against a real agent and fio (the disk lock as
# the integration tests); needs the harness of tests/integration/.
if(TARGET qdt_test_harness)
  qdt_add_test(qdtctl_tty_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/qdtctl_tty_test.cc
    LIBS qdt_test_harness qdt_client LABELS integration TIMEOUT 300 LOCK disk)
endif()
