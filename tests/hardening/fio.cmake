# Hardening, fio area (issue 15 items 2, 7, 8, 16-analyze, 17-sampler): what
# fio prints made valid UTF-8, a hung fio timed out, a stall seen and judged.
qdt_add_test(fio_hardening_unit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fio_utf8_test.cc
  LIBS qdt_fio qdt_common LABELS unit)
qdt_add_test(fio_hardening_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fio_hardening_test.cc
  LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)
