// The main() of every coronet test executable. Built from source (rather than linking
// Debian's prebuilt Catch2WithMain) so that it gets the project's flags and sanitizers.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
