# SPDX-License-Identifier: MIT
# fed_warnings: the interface target every hand-written enfed target links,
# carrying the project's warning set with -Werror. Generated protobuf-c code
# does not link it (see FedProto.cmake).
add_library(fed_warnings INTERFACE)
target_compile_options(fed_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wvla -Werror)
# POSIX interfaces (pthreads, clock_gettime, termios) alongside strict C11.
target_compile_definitions(fed_warnings INTERFACE _POSIX_C_SOURCE=200809L)
