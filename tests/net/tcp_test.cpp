// Real sockets on loopback (port 0), real clock: tagged [net].

#include <coronet/net/tcp.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/cancel_scope.hpp>
#include <coronet/net/framing.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "net_test_helpers.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

tcp_listener listen_loopback(bool v6 = false) {
    auto l = tcp_listener::bind(address::loopback(0, v6));
    REQUIRE(l);
    return std::move(*l);
}

/// Echoes one connection until the peer half-closes, then closes.
task<void> echo_one(tcp_stream s) {
    std::vector<char> buf(65536);
    for (;;) {
        const io_result r = co_await s.read_some(std::span<char>(buf));
        if (r.ec || r.n == 0) break;
        const io_result w = co_await s.write_all(std::span<const char>(buf.data(), r.n));
        if (w.ec) break;
    }
}

/// Accepts `n` connections, each echoed by its own process.
task<void> echo_server(tcp_listener* l, int n) {
    for (int i = 0; i < n; ++i) {
        auto c = co_await l->accept(10s);
        if (!c) throw std::system_error(c.error(), "accept");
        self().spawn(echo_one, std::move(*c));
    }
}

/// Sends `text`, half-closes, and reads everything back.
task<std::string> echo_client(address to, std::string text) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect: " + c.error().message();
    const io_result w = co_await c->write_all(std::string_view(text), 10s);
    if (w.ec) co_return "write: " + w.ec.message();
    c->shutdown_write();
    std::string got;
    char buf[4096];
    for (;;) {
        const io_result r = co_await c->read_some(std::span<char>(buf), 10s);
        if (r.ec) co_return "read: " + r.ec.message();
        if (r.n == 0) break;
        got.append(buf, r.n);
    }
    co_return got;
}

task<std::vector<std::string>> lines_then_too_long(tcp_listener* l) {
    auto c = co_await l->accept(10s);
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
        auto line = co_await read_line(*c, 8, 10s);
        out.push_back(line ? *line : "error: " + line.error().message());
    }
    co_return out;
}

task<void> sends(address to, std::string text) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (c) (void)co_await c->write_all(std::string_view(text), 10s);
}

task<std::vector<std::string>> frames_in(tcp_listener* l) {
    auto c = co_await l->accept(10s);
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
        auto f = co_await read_frame(*c, 1000, 10s);
        out.push_back(f ? *f : "error: " + f.error().message());
        if (!f) break;
    }
    co_return out;
}

task<void> frames_out(address to) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return;
    (void)co_await write_frame(*c, "one", 10s);
    (void)co_await write_frame(*c, "", 10s);
    (void)co_await write_frame(*c, std::string(1000, 'x'), 10s);
    (void)co_await write_frame(*c, std::string(1001, 'y'), 10s);  // over the reader's maximum
}

task<std::string> connect_result(address to) {
    auto c = co_await tcp_stream::connect(to, 10s);
    co_return c ? std::string("connected") : c.error().message();
}

task<std::string> accept_result(tcp_listener* l, duration d) {
    auto c = co_await l->accept(d);
    co_return c ? std::string("accepted") : c.error().message();
}

/// Accepts, then resets the connection (SO_LINGER 0).
task<void> accept_and_reset(tcp_listener* l) {
    auto c = co_await l->accept(10s);
    if (!c) co_return;
    char b[1];
    (void)co_await c->read_some(std::span<char>(b), 10s);  // the client's first byte
    linger lg{1, 0};
    ::setsockopt(c->native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c->close();
}

task<std::string> writes_into_reset(address to) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect failed";
    (void)co_await c->write_all(std::string_view("x"), 10s);
    char b[16];
    const io_result r = co_await c->read_some(std::span<char>(b), 10s);  // the reset
    std::string out = r.ec ? r.ec.message() : r.n == 0 ? "eof" : "data";
    const std::string big(1 << 20, 'z');
    const io_result w = co_await c->write_all(std::string_view(big), 10s);  // no SIGPIPE
    out += w.ec ? ", write failed: " + w.ec.message() : ", write ok (wrong)";
    co_return out;
}

task<std::uint64_t> hash_all(tcp_listener* l) {
    auto c = co_await l->accept(10s);
    std::uint64_t h = fnv_seed;
    std::vector<char> buf(1 << 16);
    for (;;) {
        const io_result r = co_await c->read_some(std::span<char>(buf), 60s);
        if (r.ec || r.n == 0) break;
        h = fnv(h, buf.data(), r.n);
    }
    co_return h;
}

task<std::uint64_t> send_pattern(address to, std::size_t total) {
    auto c = co_await tcp_stream::connect(to, 10s);
    std::uint64_t h = fnv_seed;
    std::vector<char> chunk(1 << 16);
    std::uint32_t x = 12345;
    for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
        for (auto& ch : chunk) {
            x = x * 1664525u + 1013904223u;
            ch = static_cast<char>(x >> 24);
        }
        h = fnv(h, chunk.data(), chunk.size());
        const io_result w = co_await c->write_all(std::span<const char>(chunk), 60s);
        if (w.ec) break;
    }
    c->shutdown_write();
    co_return h;
}

task<int> many_clients(address to, int n) {
    std::vector<handle<std::string>> hs;
    for (int i = 0; i < n; ++i) {
        const std::string text = "client " + std::to_string(i);
        hs.push_back(
            self().spawn_opt(spawn_options{placement::pinned(static_cast<std::uint32_t>(i % 2))},
                             echo_client, to, text));
    }
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const std::string got = co_await hs[static_cast<std::size_t>(i)];
        if (got == "client " + std::to_string(i)) ++ok;
    }
    co_return ok;
}

task<std::string> reader_cancelled(tcp_stream* s) {
    char b[8];
    try {
        (void)co_await s->read_some(std::span<char>(b));
        co_return "read (wrong)";
    } catch (const cancelled_error&) {
        co_return "cancelled";
    }
}

task<std::string> cancel_then_read(tcp_listener* l, address to) {
    auto conn = co_await tcp_stream::connect(to, 10s);
    auto srv = co_await l->accept(10s);
    auto r = self().spawn(reader_cancelled, &*conn);
    co_await self().yield();  // one worker: the reader runs now and blocks in its read
    cancel(r, "test");
    const std::string first = co_await r;
    (void)co_await srv->write_all(std::string_view("after"), 10s);
    char b[8];
    const io_result got = co_await conn->read_exactly(std::span<char>(b, 5), 10s);
    co_return first + ", then " + (got.ec ? got.ec.message() : std::string(b, 5));
}

/// A connected pair inside one process: {client, server}.
task<std::pair<tcp_stream, tcp_stream>> pair_on(tcp_listener* l) {
    auto c = co_await tcp_stream::connect(l->local_address(), 10s);
    auto s = co_await l->accept(10s);
    co_return std::make_pair(std::move(c.value()), std::move(s.value()));
}

task<std::string> interrupted_reads(tcp_listener* l) {
    auto [cli, srv] = co_await pair_on(l);
    std::string out;
    // A line read interrupted by a deadline after part of it came.
    (void)co_await srv.write_all(std::string_view("hel"), 10s);
    bool timed_out = false;
    try {
        (void)co_await with_timeout(50ms, read_line(cli, 100, 10s));
    } catch (const timeout_error&) {
        timed_out = true;
    }
    (void)co_await srv.write_all(std::string_view("lo\n"), 10s);
    auto line = co_await read_line(cli, 100, 10s);
    out += (timed_out ? "line interrupted, then " : "not interrupted (wrong), then ") +
           (line ? *line : line.error().message());
    // The same for read_exactly.
    (void)co_await srv.write_all(std::string_view("abc"), 10s);
    char b[5];
    timed_out = false;
    try {
        (void)co_await with_timeout(50ms, cli.read_exactly(std::span<char>(b, 5), 10s));
    } catch (const timeout_error&) {
        timed_out = true;
    }
    (void)co_await srv.write_all(std::string_view("defgh"), 10s);
    const io_result r = co_await cli.read_exactly(std::span<char>(b, 5), 10s);
    out +=
        std::string(timed_out ? "; bytes interrupted, then " : "; not interrupted (wrong), then ") +
        (r.ec ? r.ec.message() : std::string(b, 5));
    co_return out;
}

task<std::string> frame_failures(tcp_listener* l) {
    std::string out;
    {
        auto [cli, srv] = co_await pair_on(l);
        const char part[] = {0, 0, 0, 10, 'a', 'b', 'c'};  // 10 announced, 3 sent
        (void)co_await srv.write_all(std::span<const char>(part, sizeof part), 10s);
        auto f = co_await read_frame(cli, 100, 50ms);
        out += f ? std::string("frame (wrong)") : f.error().message();
        out += cli.is_open() ? ", still open (wrong)" : ", closed";
    }
    {
        auto [cli, srv] = co_await pair_on(l);
        (void)co_await write_frame(srv, "whole", 10s);
        const char part[] = {0, 0, 0, 10, 'x'};
        (void)co_await srv.write_all(std::span<const char>(part, sizeof part), 10s);
        srv.close();
        auto f1 = co_await read_frame(cli, 100, 10s);
        auto f2 = co_await read_frame(cli, 100, 10s);
        out += "; " + (f1 ? *f1 : f1.error().message()) + ", " + (f2 ? *f2 : f2.error().message());
    }
    {
        auto [cli, srv] = co_await pair_on(l);
        srv.close();
        auto f = co_await read_frame(cli, 100, 10s);
        out += "; " + (f ? *f : f.error().message());
    }
    co_return out;
}

task<std::string> reads_one_line(tcp_stream* s) {
    auto line = co_await read_line(*s, 100, 10s);
    co_return line ? *line : line.error().message();
}

task<std::string> writes_much(tcp_stream* s, std::size_t n) {
    const std::string big(n, 'w');
    const io_result w = co_await s->write_all(std::string_view(big), 10s);
    co_return w.ec ? w.ec.message() : std::to_string(w.n) + " written";
}

/// A reader and a writer process on one worker both wait on one stream.
task<std::string> full_duplex(tcp_listener* l) {
    auto [cli, srv] = co_await pair_on(l);
    constexpr std::size_t much = 8 << 20;  // more than the socket buffers: the writer waits
    auto reader = self().spawn(reads_one_line, &cli);     // waits for readable
    auto writer = self().spawn(writes_much, &cli, much);  // waits for writable, same fd
    co_await self().yield();
    std::string sink(much, '\0');
    const io_result drained = co_await srv.read_exactly(std::span<char>(sink), 10s);
    (void)co_await srv.write_all(std::string_view("pong\n"), 10s);
    const std::string got = co_await reader;
    const std::string wrote = co_await writer;
    co_return wrote + ", " + std::to_string(drained.n) + " drained, reader got " + got;
}

}  // namespace

TEST_CASE("tcp: echo over IPv4 loopback with a half-close", "[net][tcp]") {
    runtime rt(real_config(2));
    auto l = listen_loopback();
    CHECK(l.local_address().port() != 0);
    rt.spawn(echo_server, &l, 1);
    auto c = rt.spawn(echo_client, l.local_address(), std::string("hello, coronet"));
    rt.run();
    CHECK(c.value() == "hello, coronet");
}

TEST_CASE("tcp: echo over IPv6 loopback and over a Unix-domain socket", "[net][tcp]") {
    runtime rt(real_config(2));
    auto l6 = tcp_listener::bind(address::loopback(0, true));
    if (!l6) {
        WARN("IPv6 loopback unavailable here: " << l6.error().message());
    } else {
        rt.spawn(echo_server, &*l6, 1);
        auto c = rt.spawn(echo_client, l6->local_address(), std::string("six"));
        rt.run();
        CHECK(c.value() == "six");
    }
    const std::string path = "/tmp/coronet-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    auto lu = tcp_listener::bind(*address::unix_path(path));
    REQUIRE(lu);
    rt.spawn(echo_server, &*lu, 1);
    auto cu = rt.spawn(echo_client, *address::unix_path(path), std::string("unix"));
    rt.run();
    CHECK(cu.value() == "unix");
    ::unlink(path.c_str());
}

TEST_CASE("tcp: lines split and joined across reads, and a line over the maximum is refused",
          "[net][tcp]") {
    runtime rt(real_config(2));
    auto l = listen_loopback();
    auto h = rt.spawn(lines_then_too_long, &l);
    rt.spawn(sends, l.local_address(), std::string("a\r\nbb\nccc\nthis line is far too long\n"));
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"a", "bb", "ccc",
                                                "error: frame or line larger than the maximum"});
}

TEST_CASE("tcp: length-prefixed frames, and a frame over the maximum is refused", "[net][tcp]") {
    runtime rt(real_config(2));
    auto l = listen_loopback();
    auto h = rt.spawn(frames_in, &l);
    rt.spawn(frames_out, l.local_address());
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"one", "", std::string(1000, 'x'),
                                                "error: frame or line larger than the maximum"});
}

TEST_CASE("tcp: connecting to a closed port is refused, accept times out", "[net][tcp]") {
    runtime rt(real_config(1));
    // A port bound but not listening refuses, and stays ours during the test.
    const int held = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    address closed = address::loopback(0);
    REQUIRE(::bind(held, closed.native(), closed.length()) == 0);
    socklen_t len = 128;
    REQUIRE(::getsockname(held, closed.native(), &len) == 0);
    auto c = rt.spawn(connect_result, closed);
    auto l = listen_loopback();
    auto a = rt.spawn(accept_result, &l, 30ms);
    rt.run();
    ::close(held);
    CHECK(c.value() == std::make_error_code(std::errc::connection_refused).message());
    CHECK(a.value() == std::make_error_code(std::errc::timed_out).message());
}

TEST_CASE("tcp: a peer reset is an error for that stream, and writing gives no SIGPIPE",
          "[net][tcp]") {
    runtime rt(real_config(2));
    auto l = listen_loopback();
    rt.spawn(accept_and_reset, &l);
    auto c = rt.spawn(writes_into_reset, l.local_address());
    rt.run();
    const std::string reset = std::make_error_code(std::errc::connection_reset).message();
    CHECK(c.value().rfind(reset, 0) == 0);
    CHECK(c.value().find("write failed") != std::string::npos);
}

TEST_CASE("tcp: 100 MiB arrive intact (checksum)", "[net][tcp][slow]") {
    runtime rt(real_config(2));
    auto l = listen_loopback();
    auto server = rt.spawn_opt(spawn_options{placement::pinned(0)}, hash_all, &l);
    auto client = rt.spawn_opt(spawn_options{placement::pinned(1)}, send_pattern, l.local_address(),
                               std::size_t{100} << 20);
    rt.run();
    CHECK(server.value() == client.value());
}

TEST_CASE("tcp: 1000 concurrent connections are each echoed", "[net][tcp]") {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    int n = 1000;
    if (lim.rlim_cur < 2200) {
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < 2200) {
        n = static_cast<int>(lim.rlim_cur / 2) - 50;
        WARN("open-file limit " << lim.rlim_cur << ": testing " << n << " connections");
    }
    runtime rt(real_config(2));
    auto l = tcp_listener::bind(address::loopback(), 1024);
    REQUIRE(l);
    rt.spawn(echo_server, &*l, n);
    auto c = rt.spawn(many_clients, l->local_address(), n);
    rt.run();
    CHECK(c.value() == n);
}

TEST_CASE("tcp: a cancelled read leaves the stream usable, nothing lost", "[net][tcp]") {
    runtime rt(real_config(1));
    auto l = listen_loopback();
    auto h = rt.spawn(cancel_then_read, &l, l.local_address());
    rt.run();
    CHECK(h.value() == "cancelled, then after");
}

TEST_CASE("tcp: a read interrupted part-way (deadline) loses no byte", "[net][tcp]") {
    runtime rt(real_config(1));
    auto l = listen_loopback();
    auto h = rt.spawn(interrupted_reads, &l);
    rt.run();
    CHECK(h.value() == "line interrupted, then hello; bytes interrupted, then abcde");
}

TEST_CASE("tcp: a frame cut short closes the stream, and end of stream between frames is eof",
          "[net][tcp]") {
    runtime rt(real_config(1));
    auto l = listen_loopback();
    auto h = rt.spawn(frame_failures, &l);
    rt.run();
    const auto msg = [](auto e) { return make_error_code(e).message(); };
    CHECK(h.value() == msg(std::errc::timed_out) + ", closed; whole, " + msg(errc::truncated) +
                           "; " + msg(errc::eof));
}

TEST_CASE("tcp: a reader and a writer process of one worker share a stream", "[net][tcp]") {
    runtime rt(real_config(1));
    auto l = listen_loopback();
    auto h = rt.spawn(full_duplex, &l);
    rt.run();
    CHECK(h.value() == "8388608 written, 8388608 drained, reader got pong");
}
