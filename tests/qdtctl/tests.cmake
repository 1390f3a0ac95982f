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
