# SPDX-License-Identifier: MIT
# Applies FED_SANITIZER (none | address,undefined | thread) and FED_COVERAGE
# to every target of the build, generated code included, so that the whole
# process is instrumented.
if(NOT FED_SANITIZER STREQUAL "none")
  if(NOT FED_SANITIZER MATCHES "^(address,undefined|address|undefined|thread)$")
    message(FATAL_ERROR "FED_SANITIZER must be none, address,undefined or thread (got '${FED_SANITIZER}')")
  endif()
  add_compile_options(-fsanitize=${FED_SANITIZER} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${FED_SANITIZER})
endif()
if(FED_COVERAGE)
  add_compile_options(--coverage -O0)
  add_link_options(--coverage)
endif()
