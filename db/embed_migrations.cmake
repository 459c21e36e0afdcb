# SPDX-License-Identifier: BSD-2-Clause
# db/embed_migrations.cmake - turns db/migrations/NNN_name.sql (the source of
# truth) into a C table compiled into rb_db. Run at build time:
#   cmake -DOUT=file.c -DDIR=db/migrations -P embed_migrations.cmake
# Versions must be 1, 2, 3, ... with no gap.
file(GLOB files LIST_DIRECTORIES false "${DIR}/*.sql")
list(SORT files)
set(arrays "")
set(table "")
set(expect 1)
foreach(f IN LISTS files)
  get_filename_component(base "${f}" NAME)
  if(NOT base MATCHES "^([0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "${f}: migration files are named NNN_name.sql")
  endif()
  set(name "${CMAKE_MATCH_2}")
  string(REGEX REPLACE "^0+" "" ver "${CMAKE_MATCH_1}")
  if(NOT ver EQUAL expect)
    message(FATAL_ERROR "${f}: expected migration ${expect}")
  endif()
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "static const unsigned char m${ver}[] = {${bytes}0x00};\n")
  string(APPEND table "\t{${ver}, \"${name}\", (const char *)m${ver}, sizeof(m${ver}) - 1},\n")
  math(EXPR expect "${expect} + 1")
endforeach()
math(EXPR n "${expect} - 1")
if(n EQUAL 0)
  message(FATAL_ERROR "no migrations in ${DIR}")
endif()
set(text "/* Generated from db/migrations (NNN_name.sql) by db/embed_migrations.cmake. */
#include \"db/migrate.h\"

${arrays}
const struct rb_migration rb_migrations[] = {
${table}};
const size_t rb_n_migrations = ${n};
")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
