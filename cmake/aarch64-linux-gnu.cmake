# SPDX-License-Identifier: MIT
# Cross build for arm64 (a Raspberry Pi 3/4/5 on a 64-bit OS) on Debian 12,
# with Debian's cross compiler and the arm64 builds of the libraries
# installed beside the native ones (multiarch):
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install gcc-aarch64-linux-gnu libc6-dev:arm64 libnng-dev:arm64 \
#     libprotobuf-c-dev:arm64 libzstd-dev:arm64 libsqlite3-dev:arm64 \
#     libcjson-dev:arm64 libmbedtls-dev:arm64
# `./run package arm64` does this and builds the packages with it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_STRIP aarch64-linux-gnu-strip CACHE FILEPATH "strip for arm64")
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "objcopy for arm64")
# Programs (protoc-c) from the build machine; libraries and headers from
# the multiarch paths only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# pkg-config: the arm64 .pc files, not the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
