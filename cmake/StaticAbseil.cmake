# Static clones of imported abseil targets, for executables only.
#
# Debian's libabsl-dev ships every abseil library both shared (what
# find_package(absl) imports) and as an archive beside it. The CLI is a
# short-lived process whose start-up is measured (issue 15): ~30 abseil shared
# objects to map and relocate cost several milliseconds on every run. The
# archives are built for executables (libjlcache.so cannot link them: they
# use local-exec TLS), so only executables that ask for it link them.
#
#   jlcache_static_abseil(<out-var> absl::status absl::strings ...)
#
# Sets <out-var> to the static clones of the given targets (each an IMPORTED
# STATIC library whose link interface names the clones of its own abseil
# dependencies), or to an empty list when some archive is missing, a named
# dependency is not a target, or one sits inside a generator expression: the
# caller then keeps the shared libraries.

function(_jlcache_static_abseil_clone target out ok)
  string(REPLACE "absl::" "jlcache_static_absl_" clone "${target}")
  if(TARGET ${clone})
    set(${out} ${clone} PARENT_SCOPE)
    set(${ok} TRUE PARENT_SCOPE)
    return()
  endif()
  if(NOT TARGET ${target})
    # Named by a dependency but not defined (an older or partial abseil):
    # nothing to clone, so the caller keeps the shared libraries.
    set(${ok} FALSE PARENT_SCOPE)
    return()
  endif()
  get_target_property(type ${target} TYPE)
  set(archive "")
  if(type STREQUAL "SHARED_LIBRARY")
    set(loc "")
    foreach(prop IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_RELWITHDEBINFO
                 IMPORTED_LOCATION)
      get_target_property(loc ${target} ${prop})
      if(loc)
        break()
      endif()
    endforeach()
    string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" archive "${loc}")
    if(NOT loc OR NOT EXISTS "${archive}")
      set(${ok} FALSE PARENT_SCOPE)
      return()
    endif()
  elseif(NOT type STREQUAL "INTERFACE_LIBRARY")
    set(${ok} FALSE PARENT_SCOPE)
    return()
  endif()
  set(deps "")
  get_target_property(interface_deps ${target} INTERFACE_LINK_LIBRARIES)
  if(interface_deps)
    foreach(dep IN LISTS interface_deps)
      if(dep MATCHES "^absl::")
        _jlcache_static_abseil_clone(${dep} dep_clone dep_ok)
        if(NOT dep_ok)
          set(${ok} FALSE PARENT_SCOPE)
          return()
        endif()
        list(APPEND deps ${dep_clone})
      elseif(dep MATCHES "absl::")
        # An abseil target inside a generator expression ($<...:absl::x>):
        # kept as is it would link the shared library beside the clones (two
        # copies of abseil's globals). Not cloned: fall back to shared.
        set(${ok} FALSE PARENT_SCOPE)
        return()
      else()
        list(APPEND deps "${dep}")  # Threads, -lrt, Debian's empty Darwin-only generator expression
      endif()
    endforeach()
  endif()
  if(archive)
    add_library(${clone} STATIC IMPORTED)
    set_target_properties(${clone} PROPERTIES IMPORTED_LOCATION "${archive}")
  else()
    add_library(${clone} INTERFACE IMPORTED)
  endif()
  get_target_property(includes ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(includes)
    set_target_properties(${clone} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${includes}")
  endif()
  set_target_properties(${clone} PROPERTIES INTERFACE_LINK_LIBRARIES "${deps}")
  set(${out} ${clone} PARENT_SCOPE)
  set(${ok} TRUE PARENT_SCOPE)
endfunction()

function(jlcache_static_abseil out_var)
  set(clones "")
  foreach(target IN LISTS ARGN)
    _jlcache_static_abseil_clone(${target} clone ok)
    if(NOT ok)
      message(STATUS "jlcache: no usable static archive behind ${target}; the CLI links abseil shared")
      set(${out_var} "" PARENT_SCOPE)
      return()
    endif()
    list(APPEND clones ${clone})
  endforeach()
  set(${out_var} ${clones} PARENT_SCOPE)
endfunction()
