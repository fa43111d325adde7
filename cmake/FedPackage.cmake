# SPDX-License-Identifier: MIT
# The Debian packages, with CPack's DEB generator (`cpack -G DEB` in the
# build tree; `./run package` does it): enfed (the server side) and
# enfed-edge (the collectors), from the components of FedInstall.cmake.
#
# Version: FED_VERSION_FULL (cmake/FedVersion.cmake), which the programs
# report too. The changelog's date: the last commit's.
set(FED_PACKAGE_VERSION ${FED_VERSION_FULL})
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%cD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE _date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT _date)
  string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
endif()
set(FED_PACKAGE_MAINTAINER "enfed maintainers <enfed@example.org>" CACHE STRING
  "Maintainer field of the Debian packages")

set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
set(_gen ${PROJECT_BINARY_DIR}/packaging)

# changelog.gz (a native package's), made at configure time for this
# version, compressed as Debian wants it (gzip -9n: no name, no time).
file(WRITE ${_gen}/changelog
  "enfed (${FED_PACKAGE_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the enfed sources at ${FED_PACKAGE_VERSION}; see the\n"
  "    project's history for the changes.\n\n"
  " -- ${FED_PACKAGE_MAINTAINER}  ${_date}\n")
execute_process(COMMAND gzip -9nf ${_gen}/changelog)

# Maintainer scripts and conffiles per package. UNITS: what is stopped and
# restarted; STATE: what a purge removes from /var/lib/enfed.
function(fed_package_scripts component pkgname units state)
  set(FED_PACKAGE ${pkgname})
  list(TRANSFORM units PREPEND "'" OUTPUT_VARIABLE quoted)
  list(TRANSFORM quoted APPEND "'")
  string(REPLACE ";" " " FED_UNITS "${quoted}")
  set(FED_STATE_GLOBS "")
  foreach(s IN LISTS state)
    string(APPEND FED_STATE_GLOBS " /var/lib/enfed/${s}")
  endforeach()
  string(STRIP "${FED_STATE_GLOBS}" FED_STATE_GLOBS)
  set(FED_WANTS_GLOBS "")
  foreach(u IN LISTS units)
    string(APPEND FED_WANTS_GLOBS " /etc/systemd/system/*.wants/${u}")
  endforeach()
  string(STRIP "${FED_WANTS_GLOBS}" FED_WANTS_GLOBS)
  set(dir ${_gen}/debian/${pkgname})
  set(extra "")
  foreach(script postinst prerm postrm)
    configure_file(${_pkg}/debian/${script}.in ${dir}/${script} @ONLY
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
      GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    list(APPEND extra ${dir}/${script})
  endforeach()
  if(ARGN)
    string(REPLACE ";" "\n" conffiles "${ARGN}")
    file(WRITE ${dir}/conffiles "${conffiles}\n")
    list(APPEND extra ${dir}/conffiles)
  endif()
  string(TOUPPER ${component} c)
  set(CPACK_DEBIAN_${c}_PACKAGE_CONTROL_EXTRA "${extra}" PARENT_SCOPE)
endfunction()

fed_package_scripts(server enfed
  "fed-node@*.service;fed-directory.service;fed-invest.service;fed-web.service;fed-relay@*.service"
  "node-*;directory;invest;web;relay-*"
  ${FED_CONFDIR}/directory.conf ${FED_CONFDIR}/invest.conf ${FED_CONFDIR}/web.conf)
fed_package_scripts(edge enfed-edge
  "fed-edge-tic@*.service;fed-edge-envoy@*.service"
  "edge-tic-*;edge-envoy-*")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME enfed)
set(CPACK_PACKAGE_VERSION ${FED_PACKAGE_VERSION})
set(CPACK_PACKAGE_VENDOR "enfed")
set(CPACK_PACKAGE_CONTACT "${FED_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL server edge)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/enfed")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FED_PACKAGE_MAINTAINER}")
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
endif()

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME enfed)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser, openssl")
set(CPACK_COMPONENT_SERVER_DESCRIPTION "federation of energy data: node and services
enfed lets organisations (schools, households, citizen energy
cooperatives) keep their meters' series on their own node and share them
with other members under explicit grants.
.
This package holds the node (fed-node), the federation's directory
(fed-directory), the citizen investment service (fed-invest), the web
dashboard (fed-web), the stream relay (fed-relay), the command-line
client (fedctl), the certificate tool (fed-pki) and a simulator
(fed-edge-sim), with hardened systemd units running as the enfed user.")

set(CPACK_DEBIAN_EDGE_PACKAGE_NAME enfed-edge)
set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_EDGE_DESCRIPTION "federation of energy data: meter collectors
enfed lets organisations keep their meters' series on their own node and
share them with other members under explicit grants.
.
This package holds the collectors for a small board beside the meters:
fed-edge-tic (a Linky meter's TIC serial output) and fed-edge-envoy (an
Enphase Envoy gateway), which keep their points in a spool on disk until
the node has them, with hardened systemd units running as the enfed
user.")

include(CPack)
