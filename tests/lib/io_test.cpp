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
