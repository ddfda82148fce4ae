// Real pipes, real clock: tagged [net].

#include <coronet/net/pipe.hpp>

#include <fcntl.h>
#include <signal.h>

#include <cstdint>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "net_test_helpers.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

pipe_ends make_pipe() {
    auto p = open_pipe();
    REQUIRE(p);
    return std::move(*p);
}

std::string msg(std::error_code ec) {
    return ec ? ec.message() : "ok";
}

task<void> writes_then_closes(pipe_writer w) {
    (void)co_await w.write_all(std::string_view("first line\nsecond"), 10s);
    (void)co_await w.write_all(std::string_view(" and the rest"), 10s);
    w.close();
}

/// A line, six bytes, then everything to the end, then reads past the end.
task<std::string> reads_to_the_end(pipe_reader r) {
    std::string line;
    const io_result l = co_await r.read_until(line, "\n", 100, 10s);
    std::string out = l.ec ? l.ec.message() : line;
    char six[6];
    const io_result e = co_await r.read_exactly(std::span<char>(six), 10s);
    out += "|" + (e.ec ? e.ec.message() : std::string(six, 6)) + "|";
    char buf[64];
    for (;;) {
        const io_result s = co_await r.read_some(std::span<char>(buf), 10s);
        if (s.ec) co_return out + s.ec.message();
        if (s.n == 0) break;
        out.append(buf, s.n);
    }
    const io_result again = co_await r.read_some(std::span<char>(buf), 10s);
    out += again.n == 0 && !again.ec ? "|end again" : "|not the end (wrong)";
    const io_result past = co_await r.read_exactly(std::span<char>(buf, 1), 10s);
    co_return out + "|" + msg(past.ec);
}

task<std::string> writes_into_closed(pipe_writer w) {
    const io_result small = co_await w.write_all(std::string_view("x"), 10s);
    const std::string big(1 << 20, 'b');
    const io_result large = co_await w.write_all(std::string_view(big), 10s);
    co_return msg(small.ec) + ", " + msg(large.ec);
}

/// Writes more than the pipe holds, so that it waits for room.
task<std::string> writes_much(pipe_writer w) {
    const std::string big(4 << 20, 'm');
    const io_result r = co_await w.write_all(std::string_view(big), 10s);
    co_return msg(r.ec) + (r.n < big.size() ? ", a prefix went" : ", all went (wrong)");
}

/// Reads a little, then closes while the writer waits for room.
task<std::size_t> reads_a_little_then_closes(pipe_reader r) {
    std::vector<char> buf(1000);
    const io_result got = co_await r.read_exactly(std::span<char>(buf), 10s);
    r.close();
    co_return got.n;
}

task<std::string> times_out_then_reads(pipe_reader r, pipe_writer w) {
    char b[16];
    const io_result t = co_await r.read_some(std::span<char>(b), 50ms);
    std::string out = msg(t.ec);
    (void)co_await w.write_all(std::string_view("par"), 10s);
    std::string line;
    const io_result t2 = co_await r.read_until(line, "\n", 100, 50ms);  // part of a line came
    out += ", " + msg(t2.ec);
    (void)co_await w.write_all(std::string_view("tial\n"), 10s);
    const io_result l = co_await r.read_until(line, "\n", 100, 10s);
    co_return out + ", then " + (l.ec ? l.ec.message() : line);
}

task<std::string> closed_ends() {
    pipe_reader r;
    pipe_writer w;
    char b[4];
    const io_result rr = co_await r.read_some(std::span<char>(b), 10s);
    const io_result ww = co_await w.write_all(std::string_view("x"), 10s);
    auto p = open_pipe();
    pipe_reader moved_to = std::move(p->reader);
    const io_result mr = co_await p->reader.read_some(std::span<char>(b), 10s);
    co_return msg(rr.ec) + ", " + msg(ww.ec) + ", " + msg(mr.ec) +
        (moved_to.is_open() ? ", the new owner has it" : ", lost (wrong)");
}

}  // namespace

TEST_CASE("pipe: both ends are non-blocking and close-on-exec", "[net][pipe]") {
    auto p = make_pipe();
    for (const int fd : {p.reader.native_handle(), p.writer.native_handle()}) {
        CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    }
}

TEST_CASE("pipe: a round trip between two processes, and the end once the writer closes",
          "[net][pipe]") {
    runtime rt(real_config(2));
    auto p = make_pipe();
    auto h = rt.spawn(reads_to_the_end, std::move(p.reader));
    rt.spawn(writes_then_closes, std::move(p.writer));
    rt.run();
    CHECK(h.value() ==
          "first line|second| and the rest|end again|" + make_error_code(errc::eof).message());
}

TEST_CASE("pipe: 4 MiB between processes on two workers arrive intact (checksum)", "[net][pipe]") {
    runtime rt(real_config(2));
    auto p = make_pipe();
    std::size_t count = 0;
    constexpr std::size_t total = std::size_t{4} << 20;
    auto reader =
        rt.spawn_opt(spawn_options{placement::pinned(0)}, hash_to_end, std::move(p.reader), &count);
    auto writer = rt.spawn_opt(spawn_options{placement::pinned(1)}, write_pattern,
                               std::move(p.writer), total, std::size_t{50000}, 7u);
    rt.run();
    CHECK(count == total);
    CHECK(writer.value() != 0);
    CHECK(reader.value() == writer.value());
}

TEST_CASE("pipe: writing when the reader has closed gives broken_pipe and no SIGPIPE",
          "[net][pipe]") {
    // The default disposition, which would kill the test program on SIGPIPE.
    struct sigaction dfl {};
    struct sigaction old {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    REQUIRE(::sigaction(SIGPIPE, &dfl, &old) == 0);
    struct sigaction now {};
    REQUIRE(::sigaction(SIGPIPE, nullptr, &now) == 0);
    REQUIRE(now.sa_handler == SIG_DFL);

    runtime rt(real_config(2));
    auto closed = make_pipe();
    closed.reader.close();
    auto h1 = rt.spawn(writes_into_closed, std::move(closed.writer));
    auto waiting = make_pipe();  // the reader closes while the writer waits for room
    auto h2 = rt.spawn(writes_much, std::move(waiting.writer));
    auto h3 = rt.spawn(reads_a_little_then_closes, std::move(waiting.reader));
    rt.run();
    const std::string broken = std::make_error_code(std::errc::broken_pipe).message();
    CHECK(h1.value() == broken + ", " + broken);
    CHECK(h2.value() == broken + ", a prefix went");
    CHECK(h3.value() == 1000);
    sigset_t pending;
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGPIPE) == 0);  // none left pending for later either
    ::sigaction(SIGPIPE, &old, nullptr);
}

TEST_CASE("pipe: a read times out, and a line interrupted part-way loses no byte", "[net][pipe]") {
    runtime rt(real_config(1));
    auto p = make_pipe();
    auto h = rt.spawn(times_out_then_reads, std::move(p.reader), std::move(p.writer));
    rt.run();
    const std::string timed_out = std::make_error_code(std::errc::timed_out).message();
    CHECK(h.value() == timed_out + ", " + timed_out + ", then partial");
}

TEST_CASE("pipe: closed and moved-from ends give not_connected", "[net][pipe]") {
    runtime rt(real_config(1));
    auto h = rt.spawn(closed_ends);
    rt.run();
    const std::string nc = make_error_code(errc::not_connected).message();
    CHECK(h.value() == nc + ", " + nc + ", " + nc + ", the new owner has it");
}
