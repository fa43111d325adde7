# SPDX-License-Identifier: MIT
# What `cmake --install` puts where, in two components that become the two
# Debian packages (cmake/FedPackage.cmake):
#   server  (package enfed)       fed-node, fed-directory, fed-invest,
#                                 fed-web, fed-relay, fed-edge-sim, fedctl,
#                                 fed-pki, their units and example configs
#   edge    (package enfed-edge)  fed-edge-tic, fed-edge-envoy, fed-edge-mqtt,
#                                 their units
#                                 and example configs: what a collector
#                                 board needs, nothing else
# Every program goes to bin/ (they are run by ordinary users too: the demo,
# `fed-web --hash-password`), with a man page made by help2man from its own
# --help. The systemd units, maintainer scripts and examples are in
# packaging/. fed-web's style sheet and script are compiled in: it has no
# files of its own to install.
include(GNUInstallDirs)

set(FED_SERVER_PROGRAMS fed-node fed-directory fed-invest fed-web fed-relay
  fed-edge-sim fedctl)
set(FED_EDGE_PROGRAMS fed-edge-tic fed-edge-envoy fed-edge-mqtt)

# /etc/enfed, and the units' directory: /lib/systemd/system for the /usr
# prefix (Debian 12's place), under the prefix otherwise.
set(FED_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/enfed")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_unitdir "/lib/systemd/system")
else()
  set(_unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(FED_SYSTEMD_UNITDIR "${_unitdir}" CACHE PATH "Where the systemd units go")
# Man pages need the programs to run: a cross build takes them from a
# native build of the same sources (FED_HOST_BUILD_DIR), or ships none.
set(FED_HOST_BUILD_DIR "" CACHE PATH
  "Cross builds: a native build directory whose programs make the man pages")
# Not in sanitizer or fuzzing builds, whose programs are for tests only
# (and could fail help2man on a report at exit).
find_program(FED_HELP2MAN help2man)
set(FED_MAN OFF)
if(FED_HELP2MAN AND FED_SANITIZER STREQUAL "none" AND NOT FED_FUZZ)
  set(FED_MAN ON)
endif()
if(NOT FED_MAN)
  message(STATUS "No man pages: help2man missing, or a sanitizer or fuzzing build")
endif()

set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
set(_gen ${PROJECT_BINARY_DIR}/packaging)

# One line each for the man page's NAME section.
set(FED_MAN_fed-node "store an organisation's meter series and serve them to the federation")
set(FED_MAN_fed-directory "the federation's directory of member nodes")
set(FED_MAN_fed-invest "citizen investment figures over the nodes' series")
set(FED_MAN_fed-web "the enfed dashboard over HTTP")
set(FED_MAN_fed-relay "republish a node's live stream to many subscribers")
set(FED_MAN_fed-edge-sim "simulated meters and plants feeding enfed nodes")
set(FED_MAN_fedctl "command-line client of enfed nodes and services")
set(FED_MAN_fed-pki "make the federation's TLS certificates with openssl")
set(FED_MAN_fed-edge-tic "send a Linky meter's TIC readings to an enfed node")
set(FED_MAN_fed-edge-envoy "send an Enphase Envoy's production to an enfed node")
set(FED_MAN_fed-edge-mqtt "send the readings boards publish on MQTT to an enfed node")

# The unit (if any) and config of each program, for the man page's FILES.
set(FED_UNIT_fed-node "fed-node@NAME.service|node-NAME.conf")
set(FED_UNIT_fed-directory "fed-directory.service|directory.conf")
set(FED_UNIT_fed-invest "fed-invest.service|invest.conf")
set(FED_UNIT_fed-web "fed-web.service|web.conf")
set(FED_UNIT_fed-relay "fed-relay@NAME.service|relay-NAME.conf")
set(FED_UNIT_fed-edge-tic "fed-edge-tic@NAME.service|edge-tic-NAME.conf")
set(FED_UNIT_fed-edge-envoy "fed-edge-envoy@NAME.service|edge-envoy-NAME.conf")
set(FED_UNIT_fed-edge-mqtt "fed-edge-mqtt@NAME.service|edge-mqtt-NAME.conf")

# fed_install_man(PROGRAM COMPONENT EXE [help2man options...]): PROGRAM.1.gz
# from `EXE --help` and `EXE --version`, built with the programs.
function(fed_install_man prog component exe)
  if(NOT FED_MAN)
    return()
  endif()
  set(pkgname enfed)
  if(component STREQUAL "edge")
    set(pkgname enfed-edge)
  endif()
  set(inc ${_gen}/man/${prog}.h2m)
  set(see fedctl fed-node fed-pki)
  list(REMOVE_ITEM see ${prog})
  list(TRANSFORM see APPEND "(1)")
  string(REPLACE ";" ", " see "${see}")
  string(CONCAT text "[SEE ALSO]\n${see}, and /usr/share/doc/${pkgname}/operations.md\n"
    "(the operator's guide).\n")
  if(DEFINED FED_UNIT_${prog})
    string(REPLACE "|" ";" uc "${FED_UNIT_${prog}}")
    list(GET uc 0 unit)
    list(GET uc 1 conf)
    string(CONCAT text "[FILES]\n.TP\n\\&${FED_CONFDIR}/${conf}\n"
      "The configuration read by the systemd unit ${unit}; an example is in "
      "/usr/share/doc/${pkgname}/examples/.\n.TP\n\\&/var/lib/enfed/\n"
      "The units' state directories (each unit's working directory).\n"
      "${text}")
  endif()
  file(WRITE ${inc} "${text}")
  set(out ${_gen}/man/${prog}.1.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${FED_HELP2MAN} --no-info --section=1 --include=${inc}
            "--name=${FED_MAN_${prog}}" ${ARGN} --output=${_gen}/man/${prog}.1 ${exe}
    COMMAND gzip -9nf ${_gen}/man/${prog}.1
    DEPENDS ${exe} ${inc}
    VERBATIM)
  add_custom_target(man_${prog} ALL DEPENDS ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
endfunction()

function(fed_install_programs component)
  install(TARGETS ${ARGN} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${component})
  foreach(prog IN LISTS ARGN)
    if(CMAKE_CROSSCOMPILING)
      if(FED_HOST_BUILD_DIR)
        file(GLOB_RECURSE exe LIST_DIRECTORIES false "${FED_HOST_BUILD_DIR}/*/${prog}")
        list(FILTER exe EXCLUDE REGEX "CMakeFiles")
        if(exe)
          list(GET exe 0 exe)
          fed_install_man(${prog} ${component} ${exe})
        endif()
      endif()
    else()
      fed_install_man(${prog} ${component} $<TARGET_FILE:${prog}>)
    endif()
  endforeach()
endfunction()

# fed_install_unit(UNIT COMPONENT): packaging/systemd/UNIT.in, paths filled.
function(fed_install_unit unit component)
  set(FED_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
  set(FED_DOCDIR ${CMAKE_INSTALL_FULL_DATAROOTDIR}/doc/enfed)
  if(component STREQUAL "edge")
    set(FED_DOCDIR ${CMAKE_INSTALL_FULL_DATAROOTDIR}/doc/enfed-edge)
  endif()
  configure_file(${_pkg}/systemd/${unit}.in ${_gen}/systemd/${unit} @ONLY)
  install(FILES ${_gen}/systemd/${unit} DESTINATION ${FED_SYSTEMD_UNITDIR}
    COMPONENT ${component})
endfunction()

# Per package: docs (the copyright and changelog Debian wants, the guides)
# and the example configs.
function(fed_install_docs component pkgname)
  set(doc ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkgname})
  install(FILES ${_pkg}/debian/copyright DESTINATION ${doc} COMPONENT ${component})
  install(FILES ${_gen}/changelog.gz DESTINATION ${doc} COMPONENT ${component})
  install(FILES ${ARGN} DESTINATION ${doc} COMPONENT ${component})
endfunction()

# The server side.
fed_install_programs(server ${FED_SERVER_PROGRAMS})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/cli/fed-pki/fed-pki
  DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
if(NOT CMAKE_CROSSCOMPILING OR FED_HOST_BUILD_DIR)
  # A shell script: help2man runs it on the build machine in any case.
  fed_install_man(fed-pki server ${PROJECT_SOURCE_DIR}/cli/fed-pki/fed-pki
    --version-string=${FED_VERSION_FULL})
endif()
foreach(u fed-node@.service fed-directory.service fed-invest.service
    fed-web.service fed-relay@.service)
  fed_install_unit(${u} server)
endforeach()
# The singletons' configs are conffiles in /etc/enfed; the templates'
# (one file per instance, named by the operator) are examples.
install(FILES ${_pkg}/config/directory.conf ${_pkg}/config/invest.conf
  ${_pkg}/config/web.conf DESTINATION ${FED_CONFDIR} COMPONENT server)
install(FILES ${_pkg}/config/node.conf ${_pkg}/config/relay.conf
  ${_pkg}/config/directory.conf ${_pkg}/config/invest.conf ${_pkg}/config/web.conf
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/enfed/examples COMPONENT server)
file(GLOB _server_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
fed_install_docs(server enfed ${PROJECT_SOURCE_DIR}/README.md ${_server_docs})

# The edge side.
fed_install_programs(edge ${FED_EDGE_PROGRAMS})
foreach(u fed-edge-tic@.service fed-edge-envoy@.service fed-edge-mqtt@.service)
  fed_install_unit(${u} edge)
endforeach()
install(FILES ${_pkg}/config/edge-tic.conf ${_pkg}/config/edge-envoy.conf
  ${_pkg}/config/edge-mqtt.conf
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/enfed-edge/examples COMPONENT edge)
fed_install_docs(edge enfed-edge ${PROJECT_SOURCE_DIR}/docs/operations.md
  ${PROJECT_SOURCE_DIR}/docs/edge.md ${PROJECT_SOURCE_DIR}/docs/tic.md
  ${PROJECT_SOURCE_DIR}/docs/envoy.md)
