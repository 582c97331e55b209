# The CLI's allocator: jemalloc's static archive when the system has it
# (Debian: libjemalloc-dev), with transparent huge pages asked for in
# tools/jlcache/allocator/jemalloc_conf.cc; otherwise glibc's malloc.
#
# Only the CLI: it is a new process each run, so its page faults are a large
# part of a re-check (issue 15, benchmarks/RESULTS.md §14). libjlcache.so
# never brings its own allocator into a host process (Julia, Python), and
# sanitizer builds keep the sanitizers' allocator.
#
#   jlcache_cli_allocator(<target>)

function(jlcache_cli_allocator target)
  # A sanitizer brought in by flags rather than JLCACHE_SANITIZE counts too:
  # jemalloc's malloc would override its interceptors.
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _config)
  set(_flags "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_config}} ${CMAKE_EXE_LINKER_FLAGS}")
  if(NOT JLCACHE_CLI_JEMALLOC OR JLCACHE_SANITIZE OR _flags MATCHES "-fsanitize")
    message(STATUS "jlcache CLI allocator: glibc malloc")
    return()
  endif()
  find_package(PkgConfig QUIET)
  set(_hint "")
  if(PkgConfig_FOUND)
    pkg_check_modules(JLCACHE_JEMALLOC QUIET jemalloc)
    set(_hint ${JLCACHE_JEMALLOC_LIBRARY_DIRS} ${JLCACHE_JEMALLOC_LIBDIR})
  endif()
  # The _pic archive: the CLI is a position-independent executable.
  find_library(JLCACHE_JEMALLOC_ARCHIVE NAMES libjemalloc_pic.a HINTS ${_hint})
  if(NOT JLCACHE_JEMALLOC_ARCHIVE)
    message(STATUS "jlcache CLI allocator: glibc malloc (no libjemalloc_pic.a; apt-get install libjemalloc-dev)")
    return()
  endif()
  find_package(Threads REQUIRED)
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tools/jlcache/allocator/jemalloc_conf.cc
                                   ${PROJECT_SOURCE_DIR}/tools/jlcache/allocator/huge_page_region.cc)
  target_link_libraries(${target} PRIVATE ${JLCACHE_JEMALLOC_ARCHIVE} Threads::Threads ${CMAKE_DL_LIBS} m)
  message(STATUS "jlcache CLI allocator: jemalloc (${JLCACHE_JEMALLOC_ARCHIVE})")
endfunction()
