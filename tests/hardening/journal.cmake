# The journal and the state folder (issue 15, defects 3, 9, 16, 17): the
# crash-consistency test over every byte of a real events.log, damaged run
# folders, the state folder's lock with two agent processes, orphaned fio.
add_library(qdt_journal_test_common STATIC ${CMAKE_CURRENT_LIST_DIR}/journal_common.cc)
target_include_directories(qdt_journal_test_common PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(qdt_journal_test_common PUBLIC qdt_test_harness PRIVATE qdt_warnings)
qdt_add_test(journal_crash_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/journal_crash_test.cc
  LIBS qdt_journal_test_common LABELS integration TIMEOUT 300 LOCK disk)
qdt_add_test(journal_recovery_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/journal_recovery_test.cc
  LIBS qdt_journal_test_common LABELS integration TIMEOUT 300 LOCK disk)
