// UDP on loopback (port 0), real clock: tagged [net].

#include <coronet/net/udp.hpp>

#include <cctype>
#include <string>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

/// Answers `n` datagrams with their text upper-cased.
task<void> upper_server(udp_socket* s, int n) {
    char buf[512];
    for (int i = 0; i < n; ++i) {
        address from;
        const io_result r = co_await s->receive_from(std::span<char>(buf), from, 10s);
        if (r.ec) co_return;
        std::string out(buf, r.n);
        for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        (void)co_await s->send_to(std::string_view(out), from, 10s);
    }
}

task<std::string> asks(address server, std::string text) {
    auto s = udp_socket::bind(address::loopback());
    if (!s) co_return s.error().message();
    (void)co_await s->send_to(std::string_view(text), server, 10s);
    char buf[512];
    address from;
    const io_result r = co_await s->receive_from(std::span<char>(buf), from, 10s);
    if (r.ec) co_return r.ec.message();
    co_return std::string(buf, r.n) + (from.port() == server.port() ? " from the server" : "");
}

task<std::string> edge_cases(udp_socket* s) {
    std::string out;
    char small[4];
    address from;
    const io_result t = co_await s->receive_from(std::span<char>(small), from, 30ms);
    out += t.ec.message();
    auto peer = udp_socket::bind(address::loopback());
    (void)co_await peer->send_to(std::string_view("0123456789"), s->local_address(), 10s);
    const io_result r = co_await s->receive_from(std::span<char>(small), from, 10s);
    out += ", " + std::to_string(r.n) + " kept: " + r.ec.message();
    co_return out;
}

}  // namespace

TEST_CASE("udp: datagrams go both ways with their sender's address", "[net][udp]") {
    runtime rt(real_config(2));
    auto s = udp_socket::bind(address::loopback());
    REQUIRE(s);
    CHECK(s->local_address().port() != 0);
    rt.spawn(upper_server, &*s, 2);
    auto a = rt.spawn(asks, s->local_address(), std::string("hello"));
    auto b = rt.spawn(asks, s->local_address(), std::string("datagram"));
    rt.run();
    CHECK(a.value() == "HELLO from the server");
    CHECK(b.value() == "DATAGRAM from the server");
}

TEST_CASE("udp: a receive times out, and a datagram longer than the buffer is reported",
          "[net][udp]") {
    runtime rt(real_config(1));
    auto s = udp_socket::bind(address::loopback());
    REQUIRE(s);
    auto h = rt.spawn(edge_cases, &*s);
    rt.run();
    CHECK(h.value() == std::make_error_code(std::errc::timed_out).message() +
                           ", 4 kept: " + std::make_error_code(std::errc::message_size).message());
}
