#include "coronet/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct pipe_fds {
    int r = -1, w = -1;
    pipe_fds() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
        r = fds[0];
        w = fds[1];
    }
    ~pipe_fds() {
        ::close(r);
        ::close(w);
    }
};

task<std::string> reader(int fd) {
    std::uint32_t ev = co_await wait_io(fd, io_events::readable);
    char buf[16] = {};
    auto n = ::read(fd, buf, sizeof buf);
    co_return std::string((ev & io_events::readable) ? "readable " : "? ") +
        std::string(buf, n > 0 ? n : 0);
}

task<void> writer(int fd) {
    co_await self().sleep(10ms);
    [[maybe_unused]] auto n = ::write(fd, "hi", 2);
}

task<std::string> times_out(int fd) {
    std::uint32_t ev = co_await wait_io(fd, io_events::readable, 30ms);
    co_return std::to_string(ev) + "@" + std::to_string(ms(self().now()));
}

}  // namespace

TEST_CASE("wait_io resumes the process when the fd becomes readable", "[core][io]") {
    pipe_fds p;
    runtime rt{virtual_config()};
    auto h = rt.spawn(reader, p.r);
    rt.spawn(writer, p.w);
    rt.run();
    CHECK(h.value() == "readable hi");
}

TEST_CASE("wait_io returns 0 at its timeout and leaves the fd usable", "[core][io]") {
    pipe_fds p;
    runtime rt{virtual_config()};
    auto h = rt.spawn(times_out, p.r);
    rt.run();
    CHECK(h.value() == "0@30");
    auto h2 = rt.spawn(reader, p.r);  // registering the fd again works
    rt.spawn(writer, p.w);
    rt.run();
    CHECK(h2.value() == "readable hi");
}

namespace {

/// Waits on `a` until its timeout, makes `a` readable, then waits on `b`:
/// the readiness of `a` must not end the wait on `b`.
task<std::string> stale_readiness(int a_read, int a_write, int b_read) {
    const std::uint32_t first = co_await wait_io(a_read, io_events::readable, 30ms);
    [[maybe_unused]] auto n = ::write(a_write, "x", 1);
    const std::uint32_t second = co_await wait_io(b_read, io_events::readable, 30ms);
    const std::uint32_t third = co_await wait_io(a_read, io_events::readable, 30ms);
    co_return std::to_string(first) + " " + std::to_string(second) + "@" +
        std::to_string(ms(self().now())) + " " +
        ((third & io_events::readable) ? "a readable" : "a not readable");
}

}  // namespace

TEST_CASE("wait_io: an fd number closed and reused by a new descriptor is waited on anew",
          "[core][io]") {
    int old_read = -1;
    {
        pipe_fds p;
        old_read = p.r;
        runtime rt{virtual_config()};
        auto h = rt.spawn(reader, p.r);  // registers p.r with the worker's epoll
        rt.spawn(writer, p.w);
        rt.run();
        CHECK(h.value() == "readable hi");
        auto t = rt.spawn(times_out, p.r);  // and again, left registered, disarmed
        rt.run();
        CHECK(t.value() == "0@40");
    }
    // The kernel drops a closed fd from epoll; the worker's record of it is
    // stale, and its next wait on the number must register the new pipe.
    pipe_fds q;
    REQUIRE(q.r == old_read);  // (the lowest free numbers: the same)
    runtime rt{virtual_config()};
    auto h = rt.spawn(
        [](int r, int w) -> task<std::string> {
            auto first = self().spawn(reader, r);
            co_await self().yield();
            [[maybe_unused]] auto n = ::write(w, "hi", 2);
            co_return co_await first;
        },
        q.r, q.w);
    rt.run();
    CHECK(h.value() == "readable hi");
}

TEST_CASE("wait_io: readiness that comes after a wait timed out wakes no later wait",
          "[core][io]") {
    pipe_fds a, b;
    runtime rt{virtual_config()};
    auto h = rt.spawn(stale_readiness, a.r, a.w, b.r);
    rt.run();
    CHECK(h.value() == "0 0@60 a readable");
}
