// Real files under a mkdtemp directory in /tmp (removed afterwards), the
// blocking pool, real clock: tagged [net].

#include <coronet/net/file.hpp>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/link.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "net_test_helpers.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

/// A directory under /tmp, removed with everything in it.
struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/coronet-file-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

std::string msg(std::error_code ec) {
    return ec ? ec.message() : "ok";
}

const file_flags create_new = file_flags::write | file_flags::create | file_flags::truncate;

task<std::string> write_then_read_back(std::string path) {
    auto w = co_await file::open(path, create_new);
    if (!w) co_return "open for writing: " + w.error().message();
    const io_result wr = co_await w->write_all(std::string_view("hello file\n"));
    const std::error_code synced = co_await w->sync();
    w->close();
    auto r = co_await file::open(path, file_flags::read);
    if (!r) co_return "open for reading: " + r.error().message();
    char buf[64];
    const io_result first = co_await r->read_some(std::span<char>(buf));
    std::string out = msg(wr.ec) + " " + std::to_string(wr.n) + ", sync " + msg(synced) + ", " +
                      std::string(buf, first.n);
    const io_result at_end = co_await r->read_some(std::span<char>(buf));
    out += "read at the end: " + std::to_string(at_end.n) + " " + msg(at_end.ec);
    const io_result exact = co_await r->read_exactly(std::span<char>(buf, 1));
    out += ", read_exactly: " + std::to_string(exact.n) + " " + msg(exact.ec);
    auto size = co_await r->size();
    out += ", size " + (size ? std::to_string(*size) : size.error().message());
    co_return out;
}

task<std::string> positional(std::string path) {
    auto f = co_await file::open(path, file_flags::read_write | file_flags::create);
    if (!f) co_return f.error().message();
    (void)co_await f->write_all(std::string_view("0123456789"));
    const io_result w = co_await f->write_at(2, std::string_view("ab"));
    char buf[16];
    const io_result all = co_await f->read_at(0, std::span<char>(buf, 10));
    std::string out = msg(w.ec) + ", " + std::string(buf, all.n) + " " + msg(all.ec);
    const io_result tail = co_await f->read_at(8, std::span<char>(buf, 10));
    out += ", tail " + std::string(buf, tail.n) + " " + msg(tail.ec);
    const io_result past = co_await f->read_at(20, std::span<char>(buf, 4));
    out += ", past the end " + std::to_string(past.n) + " " + msg(past.ec);
    auto pos = co_await f->seek(0, seek_from::current);
    out += ", position " + (pos ? std::to_string(*pos) : pos.error().message());
    (void)co_await f->write_at(15, std::string_view("x"));  // leaves a hole
    auto size = co_await f->size();
    out += ", size " + (size ? std::to_string(*size) : size.error().message());
    co_return out;
}

task<std::string> seeks(std::string path) {
    auto f = co_await file::open(path, file_flags::read_write | file_flags::create);
    if (!f) co_return f.error().message();
    (void)co_await f->write_all(std::string_view("0123456789"));
    std::string out;
    char two[2];
    auto a = co_await f->seek(3);
    (void)co_await f->read_exactly(std::span<char>(two));
    out += std::to_string(a ? *a : 999) + ":" + std::string(two, 2);
    auto b = co_await f->seek(2, seek_from::current);
    (void)co_await f->read_exactly(std::span<char>(two));
    out += ", " + std::to_string(b ? *b : 999) + ":" + std::string(two, 2);
    auto c = co_await f->seek(-3, seek_from::end);
    char three[3];
    (void)co_await f->read_exactly(std::span<char>(three));
    out += ", " + std::to_string(c ? *c : 999) + ":" + std::string(three, 3);
    auto bad = co_await f->seek(-100);
    out += ", " + (bad ? std::string("moved (wrong)") : bad.error().message());
    auto d = co_await f->seek(0);  // and writing from there overwrites
    (void)co_await f->write_all(std::string_view("AB"));
    const io_result r = co_await f->read_at(0, std::span<char>(three));
    out += ", " + std::to_string(d ? *d : 999) + ":" + std::string(three, r.n);
    co_return out;
}

task<std::string> appends(std::string path) {
    auto f = co_await file::open(path, create_new);
    (void)co_await f->write_all(std::string_view("abc"));
    f->close();
    auto a = co_await file::open(path, file_flags::append);
    auto b = co_await file::open(path, file_flags::append | file_flags::read);
    if (!a || !b) co_return "open failed";
    (void)co_await a->write_all(std::string_view("def"));
    (void)co_await b->seek(0);  // append writes go to the end all the same
    (void)co_await b->write_all(std::string_view("ghi"));
    (void)co_await a->write_all(std::string_view("jkl"));
    char buf[32];
    const io_result r = co_await b->read_at(0, std::span<char>(buf));
    co_return std::string(buf, r.n);
}

task<std::string> open_failures(std::string dir) {
    const std::string existing = dir + "/existing";
    auto made = co_await file::open(existing, create_new);
    std::string out = made ? "made" : made.error().message();
    auto excl = co_await file::open(existing, file_flags::write | file_flags::exclusive);
    out += ", " + (excl ? std::string("opened (wrong)") : excl.error().message());
    auto fresh = co_await file::open(dir + "/fresh", file_flags::write | file_flags::exclusive);
    out += ", " + (fresh ? std::string("created") : fresh.error().message());
    auto missing = co_await file::open(dir + "/missing", file_flags::read);
    out += ", " + (missing ? std::string("opened (wrong)") : missing.error().message());
    auto no_mode = co_await file::open(existing, file_flags::create);
    out += ", " + (no_mode ? std::string("opened (wrong)") : no_mode.error().message());
    auto trunc_ro = co_await file::open(existing, file_flags::read | file_flags::truncate);
    out += ", " + (trunc_ro ? std::string("opened (wrong)") : trunc_ro.error().message());
    co_return out;
}

task<std::string> closed_file() {
    file f;
    char b[4];
    const io_result r = co_await f.read_some(std::span<char>(b));
    const io_result w = co_await f.write_all(std::string_view("x"));
    auto s = co_await f.size();
    co_return msg(r.ec) + ", " + msg(w.ec) + ", " + (s ? "size (wrong)" : s.error().message());
}

/// Writes `total` pseudo-random bytes in uneven pieces, then reads them
/// back in one read_exactly and in read_some pieces: the three hashes.
task<std::string> big_round_trip(std::string path, std::size_t total) {
    auto f = co_await file::open(path, file_flags::read_write | file_flags::create);
    if (!f) co_return f.error().message();
    std::uint64_t written = fnv_seed;
    std::vector<char> piece(3 * (1 << 20) + 12345);  // not a multiple of the job size
    std::uint32_t x = 1;
    for (std::size_t sent = 0; sent < total;) {
        const std::size_t n = std::min(piece.size(), total - sent);
        for (std::size_t i = 0; i < n; ++i) {
            x = x * 1664525u + 1013904223u;
            piece[i] = static_cast<char>(x >> 24);
        }
        written = fnv(written, piece.data(), n);
        const io_result w = co_await f->write_all(std::span<const char>(piece.data(), n));
        if (w.ec || w.n != n) co_return "write: " + msg(w.ec);
        sent += n;
    }
    const std::error_code synced = co_await f->sync();
    auto size = co_await f->size();
    (void)co_await f->seek(0);
    std::vector<char> all(total);
    const io_result r = co_await f->read_exactly(std::span<char>(all));
    const std::uint64_t exact = fnv(fnv_seed, all.data(), r.n);
    (void)co_await f->seek(0);
    std::uint64_t pieces = fnv_seed;
    std::size_t count = 0;
    for (;;) {
        const io_result s = co_await f->read_some(std::span<char>(piece));
        if (s.ec || s.n == 0) break;
        pieces = fnv(pieces, piece.data(), s.n);
        count += s.n;
    }
    const bool same = exact == written && pieces == written;
    co_return "sync " + msg(synced) + ", size " + (size ? std::to_string(*size) : "?") + ", read " +
        std::to_string(r.n) + " and " + std::to_string(count) +
        (same ? ", hashes equal" : ", hashes differ");
}

/// Reads from a FIFO (nothing comes until the test writes), into a buffer
/// of its own frame; it is killed or cancelled while the job waits in read.
task<std::string> reads_fifo(std::string path, std::atomic<bool>* reading) {
    auto f = co_await file::open(path, file_flags::read_write);  // O_RDWR: no wait for a writer
    if (!f) co_return f.error().message();
    std::vector<char> buf(1 << 16);
    reading->store(true);
    try {
        const io_result r = co_await f->read_some(std::span<char>(buf));
        co_return "read " + std::to_string(r.n) + " (wrong)";
    } catch (const cancelled_error&) {
        co_return "cancelled";
    }
}

/// Once the reader's job runs, kills (or cancels) it, then feeds the FIFO
/// so that the job returns.
task<void> stops_reader(pid reader, std::atomic<bool>* reading, blocking_pool pool, int fifo,
                        bool kill) {
    for (int i = 0; i < 50'000'000 && !(reading->load() && pool.running() == 1); ++i)
        co_await self().yield();
    if (kill)
        coronet::exit(reader, exit_reason{exit_kind::killed, nullptr, "test"});
    else
        cancel(reader, "test");
    const char payload[] = "payload";
    (void)::write(fifo, payload, 7);
}

/// What is left in the FIFO: "" (the job took the payload and dropped it)
/// or "payload" (it stopped before its read).
std::string drain(int fifo) {
    char buf[64];
    const ssize_t n = ::read(fifo, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

task<std::string> writes_to_fifo(std::string path, int* reader) {
    auto f = co_await file::open(path, file_flags::write);  // a reader exists: no wait
    if (!f) co_return f.error().message();
    ::close(*reader);  // every reader is gone now
    *reader = -1;
    const io_result w = co_await f->write_all(std::string_view("nobody reads this"));
    co_return msg(w.ec);
}

}  // namespace

TEST_CASE("file: what is written is read back, and reading at the end gives 0", "[net][file]") {
    temp_dir dir;
    runtime rt(real_config(1));
    auto h = rt.spawn(write_then_read_back, dir / "a.txt");
    rt.run();
    CHECK(h.value() == "ok 11, sync ok, hello file\nread at the end: 0 ok, read_exactly: 0 " +
                           make_error_code(errc::eof).message() + ", size 11");
}

TEST_CASE("file: read_at and write_at use offsets and leave the position alone", "[net][file]") {
    temp_dir dir;
    runtime rt(real_config(1));
    auto h = rt.spawn(positional, dir / "b.bin");
    rt.run();
    CHECK(h.value() == "ok, 01ab456789 ok, tail 89 ok, past the end 0 ok, position 10, size 16");
}

TEST_CASE("file: seek from the beginning, the current position and the end", "[net][file]") {
    temp_dir dir;
    runtime rt(real_config(1));
    auto h = rt.spawn(seeks, dir / "c.bin");
    rt.run();
    CHECK(h.value() == "3:34, 7:78, 7:789, " +
                           std::make_error_code(std::errc::invalid_argument).message() + ", 0:AB2");
}

TEST_CASE("file: append writes go to the end, wherever the position is", "[net][file]") {
    temp_dir dir;
    runtime rt(real_config(1));
    auto h = rt.spawn(appends, dir / "d.log");
    rt.run();
    CHECK(h.value() == "abcdefghijkl");
}

TEST_CASE(
    "file: exclusive create fails on an existing file, a missing file is "
    "no_such_file_or_directory",
    "[net][file]") {
    temp_dir dir;
    runtime rt(real_config(1));
    auto h = rt.spawn(open_failures, dir.path);
    rt.run();
    const std::string invalid = std::make_error_code(std::errc::invalid_argument).message();
    CHECK(h.value() == "made, " + std::make_error_code(std::errc::file_exists).message() +
                           ", created, " +
                           std::make_error_code(std::errc::no_such_file_or_directory).message() +
                           ", " + invalid + ", " + invalid);
}

TEST_CASE("file: a closed file gives not_connected", "[net][file]") {
    runtime rt(real_config(1));
    auto h = rt.spawn(closed_file);
    rt.run();
    const std::string nc = make_error_code(errc::not_connected).message();
    CHECK(h.value() == nc + ", " + nc + ", " + nc);
}

TEST_CASE("file: 32 MiB written and read back intact (checksum)", "[net][file]") {
    temp_dir dir;
    constexpr std::size_t total = std::size_t{32} << 20;
    runtime rt(real_config(2));
    auto h = rt.spawn(big_round_trip, dir / "big.bin", total);
    rt.run();
    CHECK(h.value() == "sync ok, size 33554432, read 33554432 and 33554432, hashes equal");
}

TEST_CASE("file: a process killed or cancelled in a read leaves its job harmless", "[net][file]") {
    temp_dir dir;
    const std::string path = dir / "fifo";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    const int fifo = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);  // the test's end
    REQUIRE(fifo >= 0);
    SECTION("killed: it does not wait for the job") {
        std::atomic<bool> reading{false};
        {
            runtime rt(real_config(1));
            auto r = rt.spawn(reads_fifo, path, &reading);
            rt.spawn(stops_reader, r.id(), &reading, rt.default_pool(), fifo, true);
            CHECK_THROWS_AS(rt.run(), exit_error);  // a killed root: run() reports it
            CHECK(r.reason().kind == exit_kind::killed);
        }  // the pool has stopped: the job has returned, into its own buffer
        const std::string left = drain(fifo);
        INFO("left in the FIFO: '" << left << "'");
        CHECK((left.empty() || left == "payload"));  // taken whole by the job, or untouched
    }
    SECTION("cancelled: it waits for the job, and the bytes it read are dropped") {
        std::atomic<bool> reading{false};
        runtime rt(real_config(1));
        auto r = rt.spawn(reads_fifo, path, &reading);
        rt.spawn(stops_reader, r.id(), &reading, rt.default_pool(), fifo, false);
        rt.run();
        CHECK(r.value() == "cancelled");
        const std::string left = drain(fifo);
        INFO("left in the FIFO: '" << left << "'");
        CHECK((left.empty() || left == "payload"));
    }
    ::close(fifo);
}

TEST_CASE("file: writing to a FIFO whose reader is gone gives broken_pipe and no SIGPIPE",
          "[net][file]") {
    struct sigaction dfl {};
    struct sigaction old {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    REQUIRE(::sigaction(SIGPIPE, &dfl, &old) == 0);  // SIGPIPE would kill the test program
    temp_dir dir;
    const std::string path = dir / "fifo";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(reader >= 0);
    runtime rt(real_config(1));
    auto h = rt.spawn(writes_to_fifo, path, &reader);
    rt.run();
    CHECK(h.value() == std::make_error_code(std::errc::broken_pipe).message());
    if (reader >= 0) ::close(reader);
    ::sigaction(SIGPIPE, &old, nullptr);
}
