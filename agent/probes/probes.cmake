# agent/probes: what the agent knows about the machine. Compiled into qdt_agent.
target_sources(qdt_agent PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/command_runner.cc
  ${CMAKE_CURRENT_LIST_DIR}/darwin_parsers.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_parsers.cc
  ${CMAKE_CURRENT_LIST_DIR}/platform_probe.cc
  ${CMAKE_CURRENT_LIST_DIR}/qlab.cc
  ${CMAKE_CURRENT_LIST_DIR}/thermal_parsers.cc
  ${CMAKE_CURRENT_LIST_DIR}/thermal_monitor.cc
)
