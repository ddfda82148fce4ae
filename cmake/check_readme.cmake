# Checks that every ```cpp block of README.md whose first line is
# "// NN_topic: ..." is exactly examples/NN_topic.cpp, so that the README's
# examples are the ones CI compiles and runs.
# Usage: cmake -D README=<README.md> -D EXAMPLES=<examples dir> -P check_readme.cmake
file(READ "${README}" text)
# ";" would split CMake lists: compare with a stand-in.
string(REPLACE ";" "<semicolon>" text "${text}")
string(REGEX MATCHALL "```cpp\n// [0-9][0-9]_[a-z_0-9]+:[^`]*```" blocks "${text}")
set(checked 0)
foreach(block IN LISTS blocks)
  string(REGEX REPLACE "^```cpp\n" "" body "${block}")
  string(REGEX REPLACE "```$" "" body "${body}")
  string(REGEX MATCH "^// ([0-9][0-9]_[a-z_0-9]+):" _ "${body}")
  set(stem "${CMAKE_MATCH_1}")
  set(source "${EXAMPLES}/${stem}.cpp")
  if(NOT EXISTS "${source}")
    message(FATAL_ERROR "README.md shows ${stem}.cpp, which does not exist")
  endif()
  file(READ "${source}" actual)
  string(REPLACE ";" "<semicolon>" actual "${actual}")
  if(NOT body STREQUAL actual)
    message(FATAL_ERROR "README.md's copy of examples/${stem}.cpp differs from the file")
  endif()
  math(EXPR checked "${checked} + 1")
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no example blocks found in README.md")
endif()
message(STATUS "README.md: ${checked} example blocks match their files")
