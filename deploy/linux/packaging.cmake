# Packages (cpack from the build folder; see deploy/README.md):
#   qdt-agent_<version>_<arch>.deb   the agent, qdtctl, the systemd unit, the config template
#   qdt-console_<version>_<arch>.deb the Qt console (when it is built)
#   qdt-<version>-Linux.tar.gz       everything, relocatable, for machines without dpkg
include(GNUInstallDirs)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/qdt-agent.service
        DESTINATION lib/systemd/system COMPONENT agent)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/agent.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/qdt COMPONENT agent)
if(QDT_CONSOLE_BUILT)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/qdt-console.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT console)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/deploy/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/qdt-agent RENAME README.md COMPONENT agent)

set(CPACK_PACKAGE_NAME qdt)
set(CPACK_PACKAGE_VENDOR "QDT")
set(CPACK_PACKAGE_CONTACT "QDT developers <dev@qdt.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "QDT show-rig disk tester")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
# Absolute install paths would escape the staging folder of the tarball.
set(CPACK_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME qdt-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "fio (>= 3.0)")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "smartmontools, avahi-utils")
set(CPACK_DEBIAN_AGENT_DESCRIPTION
    "QDT disk-test agent\n The headless agent of the QDT show-rig disk tester: runs fio and thermal\n monitoring on this machine and serves qdt-console and qdtctl over gRPC.")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/postinst;${CMAKE_CURRENT_LIST_DIR}/prerm;${CMAKE_CURRENT_LIST_DIR}/postrm")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME qdt-console)
# The SQLite driver is a Qt plug-in, which dpkg-shlibdeps cannot see.
set(CPACK_DEBIAN_CONSOLE_PACKAGE_DEPENDS "libqt6sql6-sqlite")
set(CPACK_DEBIAN_CONSOLE_DESCRIPTION
    "QDT console\n The front-of-house console of the QDT show-rig disk tester: starts tests on\n every agent of a rig and flags drives that miss the crossfade target.")

set(CPACK_COMPONENTS_ALL agent)
if(QDT_CONSOLE_BUILT)
  list(APPEND CPACK_COMPONENTS_ALL console)
endif()
set(CPACK_COMPONENT_AGENT_DISPLAY_NAME "qdt-agent and qdtctl")
set(CPACK_COMPONENT_CONSOLE_DISPLAY_NAME "qdt-console")
include(CPack)
