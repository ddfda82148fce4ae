#[=======================================================================[.rst:
FindCAF
-------

Finds the C++ Actor Framework (CAF) 0.17 as packaged by Debian (``libcaf-dev``),
which installs headers and shared libraries but no CMake package configuration.

Components: ``core``, ``io``, ``openssl`` (default: ``core``). A component's
dependencies are looked up with it: ``io`` needs ``core``; ``openssl`` needs
``io`` and OpenSSL.

Imported targets
^^^^^^^^^^^^^^^^

``CAF::core``
  ``libcaf_core``; links ``Threads::Threads``.
``CAF::io``
  ``libcaf_io``; links ``CAF::core``.
``CAF::openssl``
  ``libcaf_openssl``; links ``CAF::io`` and ``OpenSSL::SSL``.

Result variables
^^^^^^^^^^^^^^^^

``CAF_FOUND``, ``CAF_<component>_FOUND``, ``CAF_VERSION`` (from ``CAF_VERSION``
in ``caf/config.hpp``: 1706 is 0.17.6), ``CAF_INCLUDE_DIRS``, ``CAF_LIBRARIES``.

Cache variables
^^^^^^^^^^^^^^^

``CAF_INCLUDE_DIR``, ``CAF_<component>_LIBRARY``. Set ``CAF_ROOT`` to search a
prefix first.
#]=======================================================================]

include(FindPackageHandleStandardArgs)

set(_caf_known_components core io openssl)
set(_caf_dependencies_core "")
set(_caf_dependencies_io core)
set(_caf_dependencies_openssl core io)

if(NOT CAF_FIND_COMPONENTS)
  set(CAF_FIND_COMPONENTS core)
  set(CAF_FIND_REQUIRED_core TRUE)
endif()

# Requested components plus their dependencies, dependencies first.
set(_caf_components "")
foreach(_caf_component IN LISTS CAF_FIND_COMPONENTS)
  if(_caf_component IN_LIST _caf_known_components)
    list(APPEND _caf_components ${_caf_dependencies_${_caf_component}} ${_caf_component})
  else()
    set(CAF_${_caf_component}_FOUND FALSE)
  endif()
endforeach()
list(REMOVE_DUPLICATES _caf_components)

find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp)
mark_as_advanced(CAF_INCLUDE_DIR)

# CAF_VERSION is major * 10000 + minor * 100 + patch (0.17 keeps it in caf/config.hpp,
# later releases in caf/detail/build_config.hpp).
unset(CAF_VERSION)
foreach(_caf_header IN ITEMS caf/config.hpp caf/detail/build_config.hpp)
  if(CAF_INCLUDE_DIR AND NOT DEFINED CAF_VERSION AND EXISTS "${CAF_INCLUDE_DIR}/${_caf_header}")
    file(STRINGS "${CAF_INCLUDE_DIR}/${_caf_header}" _caf_version_line
      REGEX "^#[ \t]*define[ \t]+CAF_VERSION[ \t]+[0-9]+")
    if(_caf_version_line MATCHES "CAF_VERSION[ \t]+([0-9]+)")
      set(_caf_version_number ${CMAKE_MATCH_1})
      math(EXPR _caf_major "${_caf_version_number} / 10000")
      math(EXPR _caf_minor "(${_caf_version_number} / 100) % 100")
      math(EXPR _caf_patch "${_caf_version_number} % 100")
      set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
    endif()
  endif()
endforeach()

find_package(Threads QUIET)
if("openssl" IN_LIST _caf_components)
  find_package(OpenSSL QUIET)
endif()

set(CAF_LIBRARIES "")
foreach(_caf_component IN LISTS _caf_components)
  find_library(CAF_${_caf_component}_LIBRARY NAMES caf_${_caf_component})
  mark_as_advanced(CAF_${_caf_component}_LIBRARY)
  set(CAF_${_caf_component}_FOUND FALSE)
  if(CAF_${_caf_component}_LIBRARY AND Threads_FOUND)
    set(CAF_${_caf_component}_FOUND TRUE)
    list(APPEND CAF_LIBRARIES "${CAF_${_caf_component}_LIBRARY}")
  endif()
  foreach(_caf_dependency IN LISTS _caf_dependencies_${_caf_component})
    if(NOT CAF_${_caf_dependency}_FOUND)
      set(CAF_${_caf_component}_FOUND FALSE)
    endif()
  endforeach()
endforeach()
if(CAF_openssl_FOUND AND NOT OpenSSL_FOUND)
  set(CAF_openssl_FOUND FALSE)
endif()

find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
  set(_caf_links_core Threads::Threads)
  set(_caf_links_io CAF::core)
  set(_caf_links_openssl CAF::io OpenSSL::SSL)
  foreach(_caf_component IN LISTS _caf_components)
    if(CAF_${_caf_component}_FOUND AND NOT TARGET CAF::${_caf_component})
      add_library(CAF::${_caf_component} UNKNOWN IMPORTED)
      set_target_properties(CAF::${_caf_component} PROPERTIES
        IMPORTED_LOCATION "${CAF_${_caf_component}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${_caf_links_${_caf_component}}")
    endif()
  endforeach()
endif()

foreach(_caf_variable IN ITEMS component components known_components header version_line
    version_number major minor patch dependency links_core links_io links_openssl
    dependencies_core dependencies_io dependencies_openssl)
  unset(_caf_${_caf_variable})
endforeach()
