#include "coronet/pid.hpp"

#include <unordered_set>
#include <catch2/catch.hpp>

using coronet::pid;

TEST_CASE("pid identity ignores the routing slot", "[core][pid]") {
    pid a{1, 2, 7, 0x10300};
    pid b{1, 2, 9, 0x10300};
    pid c{1, 2, 7, 0x20300};
    CHECK(a == b);
    CHECK_FALSE(a == c);
    CHECK(std::hash<pid>{}(a) == std::hash<pid>{}(b));
    CHECK((a <=> c) == std::strong_ordering::less);
    std::unordered_set<pid> set{a, b, c};
    CHECK(set.size() == 2);
}

TEST_CASE("the null pid is false and names its worker 0", "[core][pid]") {
    pid n;
    CHECK_FALSE(n);
    pid p{1, 1, 0, (5ull << 16) | (3 << 8) | 1};
    CHECK(p);
    CHECK(p.worker() == 1);
    CHECK(coronet::to_string(p).find(".5.3.1>") != std::string::npos);
}
