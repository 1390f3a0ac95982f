# The console .app's parts, checked without a Mac (included from tests/CMakeLists.txt,
# which defines QDT_PYTHON3): the Info.plist that console/CMakeLists.txt configures
# from console/macos/Info.plist.in on every platform, and console/resources/qdt.icns.
# Damaged copies of the .icns must be refused naming the damaged entry; the committed
# icon files must be what scripts/make_icns.py renders from qdt-icon.svg.
if(QDT_PYTHON3)
  set(_qdt_bundle_args
      --plist ${PROJECT_BINARY_DIR}/console/Info.plist
      --icns ${PROJECT_SOURCE_DIR}/console/resources/qdt.icns
      --resources ${PROJECT_SOURCE_DIR}/console/resources
      --version ${PROJECT_VERSION}
      --source-root ${PROJECT_SOURCE_DIR})
  set(_qdt_bundle_check ${PROJECT_SOURCE_DIR}/tests/deploy/check_console_bundle.py)
  add_test(NAME console_bundle COMMAND ${QDT_PYTHON3} ${_qdt_bundle_check} check ${_qdt_bundle_args})
  set_tests_properties(console_bundle PROPERTIES LABELS unit)
  foreach(_qdt_damage truncate corrupt resize)
    add_test(NAME console_bundle_rejects_${_qdt_damage}_icns
             COMMAND ${QDT_PYTHON3} ${_qdt_bundle_check} reject ${_qdt_damage} ${_qdt_bundle_args})
    set_tests_properties(console_bundle_rejects_${_qdt_damage}_icns PROPERTIES LABELS unit)
  endforeach()
  add_test(NAME console_icon_current
           COMMAND ${QDT_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/make_icns.py --check)
  set_tests_properties(console_icon_current PROPERTIES LABELS unit)
endif()
