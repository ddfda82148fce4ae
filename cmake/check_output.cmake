# Runs a program and checks its standard output.
#
#   cmake -D EXE=<program> [-D ARG=<argument>] [-D EXPECTED=<file>] [-D TIMEOUT=<seconds>]
#         -P check_output.cmake
#
# Fails if the program exits with a non-zero status (or dies of a signal), or if some
# non-empty line of EXPECTED is not a substring of its standard output. The output is
# echoed as it is produced, so `ctest --output-on-failure` shows it. The program is killed
# after TIMEOUT seconds (default 55, below the example tests' CTest timeout of 60).

if(NOT DEFINED EXE)
  message(FATAL_ERROR "check_output.cmake: pass -D EXE=<program>")
endif()
if(NOT DEFINED TIMEOUT)
  set(TIMEOUT 55)
endif()

set(args "")
if(DEFINED ARG AND NOT ARG STREQUAL "")
  set(args "${ARG}")
endif()
execute_process(
  COMMAND "${EXE}" ${args}
  OUTPUT_VARIABLE output
  ECHO_OUTPUT_VARIABLE
  ECHO_ERROR_VARIABLE
  RESULT_VARIABLE result
  TIMEOUT ${TIMEOUT})

if(NOT result STREQUAL "0")
  message(FATAL_ERROR "check_output.cmake: ${EXE} failed: ${result}")
endif()

if(NOT DEFINED EXPECTED OR EXPECTED STREQUAL "")
  return()
endif()
if(NOT EXISTS "${EXPECTED}")
  message(FATAL_ERROR "check_output.cmake: ${EXPECTED} does not exist")
endif()

# Split on newlines by hand: list functions would also split on ';' and choke on '['.
file(READ "${EXPECTED}" remaining)
string(REPLACE "\r" "" remaining "${remaining}")
set(missing "")
while(NOT remaining STREQUAL "")
  string(FIND "${remaining}" "\n" newline)
  if(newline EQUAL -1)
    set(line "${remaining}")
    set(remaining "")
  else()
    string(SUBSTRING "${remaining}" 0 ${newline} line)
    math(EXPR next "${newline} + 1")
    string(SUBSTRING "${remaining}" ${next} -1 remaining)
  endif()
  if(NOT line STREQUAL "")
    string(FIND "${output}" "${line}" position)
    if(position EQUAL -1)
      string(APPEND missing "  ${line}\n")
    endif()
  endif()
endwhile()

if(NOT missing STREQUAL "")
  message(FATAL_ERROR
    "check_output.cmake: output of ${EXE} lacks these lines of ${EXPECTED}:\n${missing}")
endif()
