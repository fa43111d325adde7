# SPDX-License-Identifier: MIT
# FED_VERSION_FULL: the version every program reports (--version, Health)
# and the Debian packages carry. `git describe --tags` when a v<x.y.z> tag
# exists (v0.1.0 -> 0.1.0; 12 commits after it -> 0.1.0+12.g1a2b3c4, which
# sorts after 0.1.0 and before the next tag), else the project() version
# (a source tree without git). Read at configure time: `cmake` again after
# a commit refreshes it (./run package does).
set(FED_VERSION_FULL ${PROJECT_VERSION})
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --match "v[0-9]*"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE _describe OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _describe MATCHES "^v([0-9][0-9.]*)(-([0-9]+)-(g[0-9a-f]+))?$")
    set(FED_VERSION_FULL ${CMAKE_MATCH_1})
    if(CMAKE_MATCH_3)
      set(FED_VERSION_FULL "${CMAKE_MATCH_1}+${CMAKE_MATCH_3}.${CMAKE_MATCH_4}")
    endif()
  endif()
endif()
message(STATUS "enfed version ${FED_VERSION_FULL}")
