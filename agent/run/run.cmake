# agent/run: the life of a run (plan, test area, fio invoker, phase sampler,
# power hold, executor, recovery). Compiled into qdt_agent.
target_sources(qdt_agent PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/background_readers.cc
  ${CMAKE_CURRENT_LIST_DIR}/device_counter.cc
  ${CMAKE_CURRENT_LIST_DIR}/fio_invoker.cc
  ${CMAKE_CURRENT_LIST_DIR}/gap_monitor.cc
  ${CMAKE_CURRENT_LIST_DIR}/io_policy.cc
  ${CMAKE_CURRENT_LIST_DIR}/page_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/phase_pipeline.cc
  ${CMAKE_CURRENT_LIST_DIR}/phase_sampler.cc
  ${CMAKE_CURRENT_LIST_DIR}/power_hold.cc
  ${CMAKE_CURRENT_LIST_DIR}/read_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_executor.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_plan.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_recovery.cc
  ${CMAKE_CURRENT_LIST_DIR}/test_area.cc
)
