# Issue 15 #4, #5, #6, #10, #12, #16, #17: bad plans and bad targets refused
# through the real gRPC API before anything is written, and the shortest
# phases the agent allows still judged with real fio.
qdt_add_test(plan_hardening_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/plan_refusals_test.cc
  LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)
