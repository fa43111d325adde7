# SPDX-License-Identifier: MIT
# fed_add_test(NAME SOURCES a.c ... [LIBS l ...] [LABEL unit|integration|browser|fuzz]
#              [TIMEOUT s])
# Builds one cmocka test program and registers it with ctest, with a label and
# a timeout, run from the build tree with FED_SOURCE_DIR and FED_FIXTURES set.
function(fed_add_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} fed_cmocka fed_warnings)
  target_compile_definitions(${name} PRIVATE FED_TESTING=1)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    LABELS ${T_LABEL}
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "FED_SOURCE_DIR=${PROJECT_SOURCE_DIR};FED_FIXTURES=${FED_FIXTURES_DIR};FED_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()
