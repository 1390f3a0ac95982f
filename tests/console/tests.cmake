# QtTest tests of the console (offscreen). Those with real agents run fio on
# the disk and share the disk lock with the integration tests.
find_package(Qt6 REQUIRED COMPONENTS Test)
set(CMAKE_AUTOMOC ON)

function(qdt_add_qt_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;LOCK" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE qdt_console_core Qt6::Test ${ARG_LIBS} qdt_warnings)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR})
  target_compile_definitions(${name} PRIVATE QDT_BINARY_DIR="${PROJECT_BINARY_DIR}"
                                             QDT_FIXTURE_DIR="${QDT_FIXTURE_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set(props LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
            ENVIRONMENT QT_QPA_PLATFORM=offscreen)
  if(ARG_LOCK)
    list(APPEND props RESOURCE_LOCK ${ARG_LOCK})
  endif()
  set_tests_properties(${name} PROPERTIES ${props})
endfunction()

qdt_add_qt_test(console_unit_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_unit_test.cc
                LABELS unit TIMEOUT 60)
qdt_add_qt_test(console_fleet_test
                SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_fleet_test.cc
                        ${CMAKE_CURRENT_LIST_DIR}/tcp_proxy.cc
                LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)
qdt_add_qt_test(console_window_test
                SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_window_test.cc
                LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)

# DNS-SD discovery in a network namespace the test creates (Avahi on its lo only).
add_test(NAME console_discovery_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/../discovery/discovery_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(console_discovery_test PROPERTIES LABELS integration TIMEOUT 180
                     SKIP_RETURN_CODE 77)

# The agent's clock offset (docs/CLOCKS.md): the estimate from synthetic round
# trips, and two real agents whose clocks differ by seconds started together.
qdt_add_qt_test(console_clock_unit_test
                SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_clock_unit_test.cc
                LABELS unit TIMEOUT 60)
qdt_add_qt_test(console_clock_test
                SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_clock_test.cc
                LIBS qdt_test_harness LABELS integration TIMEOUT 300 LOCK disk)

# The rig report (docs/REPORT.md): what it says, from a real store whose
# verdicts the verdict engine computed, and the report dialog; then, as
# processes, `qdt-console --report` without any display (every PDF page inside
# A4 and Letter, no word broken) and the HTML in headless Chromium (skipped,
# 77, only when Chromium is not installed). Pictures: build/screenshots/.
qdt_add_qt_test(report_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/report_test.cc
                LABELS unit TIMEOUT 120)
add_test(NAME report_cli_test
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/report_cli_test.py ${PROJECT_BINARY_DIR})
set_tests_properties(report_cli_test PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME report_browser_test
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/report_browser_test.py ${PROJECT_BINARY_DIR})
set_tests_properties(report_browser_test PROPERTIES LABELS integration TIMEOUT 300
                     SKIP_RETURN_CODE 77)

# "Will it work?" (console/app/will_it_work_view.h): the streams each Mac's
# drive carries per format, from verdicts fed to a FleetModel; leaves
# build/screenshots/console-will-it-work.png.
qdt_add_qt_test(console_will_it_work_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/will_it_work_test.cc
                LABELS unit TIMEOUT 60)

# A stall (agent.proto Sample.stalled) never shown or counted as a measured
# 0 MB/s: the board, the chart (in time order after the backfill), the store
# and its exports, the report, and a store from before stalls migrated; leaves
# build/screenshots/console-board-stall.png and console-chart-stall.png.
qdt_add_qt_test(console_stall_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_stall_test.cc
                LABELS unit TIMEOUT 60)
