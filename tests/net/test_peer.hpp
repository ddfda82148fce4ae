#pragma once
// Starting coronet_test_node (tests/net/programs/test_node_main.cpp) as a
// node in a process of its own, for the net and discovery tests (their
// executables get CORONET_TEST_NODE, its path, from tests/CMakeLists.txt).

#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/net/subprocess.hpp>

namespace coronet::test {

/// Starts coronet_test_node as `name` and reads the port it listens on.
/// Start it before this program's node: when the test node was started by
/// a process after node::start, ~actor_system of this program's node hung
/// (all CAF threads gone, actor_system::detached_actors() == 2) once the
/// child had exited or been killed. Not understood yet; a plain
/// posix_spawn, or subprocess::start, with a CAF system running does not
/// hang on its own (see the issue 7 notes).
/// `extra`: more arguments ("cluster").
inline std::pair<net::subprocess, std::uint16_t> start_peer(const std::string& name,
                                                            std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), name);
    auto sp = net::subprocess::start(CORONET_TEST_NODE, extra);
    REQUIRE(sp);
    std::string line;
    char c = 0;
    pollfd pfd{sp->out().native_handle(), POLLIN, 0};
    while (line.size() < 100) {
        REQUIRE(::poll(&pfd, 1, 20000) == 1);
        if (::read(pfd.fd, &c, 1) != 1 || c == '\n') break;
        line += c;
    }
    REQUIRE(line.rfind("PORT ", 0) == 0);
    return {std::move(*sp), static_cast<std::uint16_t>(std::stoi(line.substr(5)))};
}

}  // namespace coronet::test
