# SPDX-License-Identifier: MIT
# fed_proto_library(NAME PROTO_ROOT dir PROTOS a.proto b.proto ...)
# Runs protoc-c on each .proto (paths relative to PROTO_ROOT) into the build
# tree and builds a static library NAME from the generated code. The
# generated files are never committed; warnings are relaxed for them only.
find_program(PROTOC_C NAMES protoc-c protoc-gen-c REQUIRED)

function(fed_proto_library name)
  cmake_parse_arguments(P "" "PROTO_ROOT" "PROTOS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(srcs)
  set(abs_protos)
  foreach(p ${P_PROTOS})
    list(APPEND abs_protos ${P_PROTO_ROOT}/${p})
  endforeach()
  foreach(p ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${p})
    set(c ${out_dir}/${base}.pb-c.c)
    set(h ${out_dir}/${base}.pb-c.h)
    add_custom_command(
      OUTPUT ${c} ${h}
      COMMAND ${PROTOC_C} --proto_path=${P_PROTO_ROOT} --c_out=${out_dir} ${P_PROTO_ROOT}/${p}
      DEPENDS ${abs_protos}
      COMMENT "protoc-c ${p}"
      VERBATIM)
    list(APPEND srcs ${c})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${out_dir})
  target_link_libraries(${name} PUBLIC PkgConfig::PROTOBUFC)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${name} PRIVATE -w)
endfunction()
