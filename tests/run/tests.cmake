# The run engine (agent/run/): plan, test area, phase sampler and executor,
# unit-tested without fio (the executor with a fake FioInvoker replaying real
# fio output). Real folders under build/test-tmp.
qdt_add_test(run_engine_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/run_plan_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/phase_sampler_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/test_area_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/run_executor_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/gap_monitor_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/read_check_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/power_hold_test.cc
  LIBS qdt_test_harness LABELS unit)
# The macOS job files (psync readers, posixaio processes) planned with the AIO
# limits from a fake sysctl, golden and read back (needs the agent's planner).
qdt_add_test(fio_job_builder_macos_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/fio_job_builder_macos_test.cc
  LIBS qdt_test_harness LABELS unit)
