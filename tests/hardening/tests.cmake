# Hardening (issue 15): regression tests per defect class, one file per area so
# that each area's tests build and list on their own. Included after
# integration/tests.cmake (they use qdt_test_harness).
include(${CMAKE_CURRENT_LIST_DIR}/journal.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/network.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/plan.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/fio.cmake OPTIONAL)
