// Real child programs (Debian base: coreutils, sh), real clock: tagged [net].
// Every child is bounded: it ends by itself, or the test kills it (a test that
// fails early kills the rest through ~subprocess).

#include <coronet/net/subprocess.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
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

subprocess start_ok(std::string program, std::vector<std::string> args, subprocess_options o = {}) {
    auto p = subprocess::start(program, std::move(args), std::move(o));
    INFO(program << ": " << p.error().message());
    REQUIRE(p);
    return std::move(*p);
}

std::string msg(std::error_code ec) {
    return ec ? ec.message() : "ok";
}

/// Standard output, then " | " and how the child ended.
task<std::string> output_and_status(subprocess p) {
    std::string out = co_await read_to_end(&p.out());
    auto st = co_await p.wait(30s);
    co_return out + " | " + (st ? st->to_string() : st.error().message());
}

/// Standard output, standard error and how the child ended.
task<std::string> out_err_status(subprocess p) {
    const std::string out = co_await read_to_end(&p.out());
    const std::string err = co_await read_to_end(&p.err());
    auto st = co_await p.wait(30s);
    co_return "out=" + out + "err=" + err + (st ? st->to_string() : st.error().message());
}

task<std::string> waits(subprocess p) {
    auto st = co_await p.wait(60s);
    co_return st ? st->to_string() : st.error().message();
}

task<std::string> times_out_then_kills(subprocess p) {
    auto first = co_await p.wait(100ms);
    std::string out = first ? "ended (wrong)" : first.error().message();
    out += p.try_wait() ? ", try_wait ended (wrong)" : ", still running";
    out += ", kill: " + msg(p.kill());
    auto st = co_await p.wait(10s);
    out += ", " + (st ? st->to_string() : st.error().message());
    auto again = co_await p.wait(0ms);  // the status is kept
    out += again && *again == *st ? ", kept" : ", lost (wrong)";
    out += ", kill after reaping: " + msg(p.kill());
    co_return out;
}

std::vector<std::string> args_of(int i) {
    return {"-c", "echo child $1; exit $(($1 % 7))", "sh", std::to_string(i)};
}

/// Starts one child from inside a process (a worker thread), reads it, waits.
task<std::string> one_child(int i) {
    auto p = subprocess::start("sh", args_of(i));
    if (!p) co_return "start: " + p.error().message();
    std::string out = co_await read_to_end(&p->out());
    auto st = co_await p->wait(60s);
    co_return out + (st ? st->to_string() : st.error().message());
}

task<int> many_children(int n) {
    std::vector<handle<std::string>> hs;
    for (int i = 0; i < n; ++i)
        hs.push_back(self().spawn_opt(
            spawn_options{placement::pinned(static_cast<std::uint32_t>(i % 2))}, one_child, i));
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const std::string got = co_await hs[static_cast<std::size_t>(i)];
        const std::string expect =
            "child " + std::to_string(i) + "\nexited with code " + std::to_string(i % 7);
        if (got == expect) ++ok;
    }
    co_return ok;
}

/// A directory under /tmp, removed with everything in it.
struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/coronet-subprocess-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("subprocess: /bin/echo writes its arguments to the pipe of its standard output",
          "[net][subprocess]") {
    runtime rt(real_config(2));
    auto h1 = rt.spawn(output_and_status, start_ok("/bin/echo", {"hello", "coronet world"}));
    auto h2 = rt.spawn(output_and_status, start_ok("echo", {"found in PATH"}));
    rt.run();
    CHECK(h1.value() == "hello coronet world\n | exited with code 0");
    CHECK(h2.value() == "found in PATH\n | exited with code 0");
}

TEST_CASE("subprocess: an explicit environment is exactly what the child sees",
          "[net][subprocess]") {
    subprocess_options o;
    o.environment = std::vector<std::string>{"A=1", "B=two words"};
    runtime rt(real_config(1));
    auto h = rt.spawn(output_and_status, start_ok("/usr/bin/env", {}, o));
    rt.run();
    CHECK(h.value() == "A=1\nB=two words\n | exited with code 0");
}

TEST_CASE(
    "subprocess: the working directory is the one asked for, and a missing one fails "
    "start",
    "[net][subprocess]") {
    temp_dir dir;
    subprocess_options o;
    o.working_directory = dir.path;
    runtime rt(real_config(1));
    auto h = rt.spawn(output_and_status, start_ok("/bin/pwd", {}, o));
    rt.run();
    CHECK(h.value() == dir.path + "\n | exited with code 0");
    o.working_directory = dir.path + "/missing";
    auto p = subprocess::start("/bin/pwd", {}, o);
    REQUIRE_FALSE(p);
    CHECK(p.error() == std::errc::no_such_file_or_directory);
}

TEST_CASE(
    "subprocess: 8 MiB through cat, written and read by two processes at once, arrive "
    "intact",
    "[net][subprocess]") {
    constexpr std::size_t total = std::size_t{8} << 20;
    runtime rt(real_config(2));
    subprocess cat = start_ok("cat", {});
    std::size_t count = 0;
    auto writer = rt.spawn_opt(spawn_options{placement::pinned(0)}, write_pattern,
                               std::move(cat.in()), total, std::size_t{100000}, 99u);
    auto reader = rt.spawn_opt(spawn_options{placement::pinned(1)}, hash_to_end,
                               std::move(cat.out()), &count);
    auto status = rt.spawn(waits, std::move(cat));
    rt.run();
    CHECK(count == total);
    CHECK(writer.value() != 0);
    CHECK(reader.value() == writer.value());
    CHECK(status.value() == "exited with code 0");
}

TEST_CASE("subprocess: standard error is a pipe of its own, and the exit code comes back",
          "[net][subprocess]") {
    runtime rt(real_config(1));
    auto h = rt.spawn(out_err_status, start_ok("sh", {"-c", "echo out; echo err >&2; exit 3"}));
    rt.run();
    CHECK(h.value() == "out=out\nerr=err\nexited with code 3");
}

TEST_CASE("subprocess: a wait times out, then kill ends the child by signal 9",
          "[net][subprocess]") {
    runtime rt(real_config(1));
    auto h = rt.spawn(times_out_then_kills, start_ok("sleep", {"30"}));
    rt.run();
    CHECK(h.value() == std::make_error_code(std::errc::timed_out).message() +
                           ", still running, kill: ok, terminated by signal 9 (SIGKILL), kept, "
                           "kill after reaping: " +
                           std::make_error_code(std::errc::no_such_process).message());
}

TEST_CASE("subprocess: a program that cannot be run is an error from start, not an exit 127",
          "[net][subprocess]") {
    auto missing = subprocess::start("coronet-no-such-program", {"x"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == std::errc::no_such_file_or_directory);
    CHECK(missing.error().message() == "No such file or directory");
    auto missing_path = subprocess::start("/nonexistent/coronet-program");
    REQUIRE_FALSE(missing_path);
    CHECK(missing_path.error() == std::errc::no_such_file_or_directory);
    auto not_executable = subprocess::start("/etc/passwd");
    REQUIRE_FALSE(not_executable);
    CHECK(not_executable.error() == std::errc::permission_denied);
    auto empty = subprocess::start("");
    REQUIRE_FALSE(empty);
    CHECK(empty.error() == std::errc::invalid_argument);
}

TEST_CASE("subprocess: destroying or replacing a running child kills and reaps it, no zombie",
          "[net][subprocess]") {
    int pid = -1;
    {
        subprocess p = start_ok("sleep", {"30"});
        pid = p.pid();
        REQUIRE(pid > 0);
        REQUIRE(::kill(pid, 0) == 0);  // it runs
    }
    errno = 0;
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);  // reaped: not our child any more
    errno = 0;
    CHECK(::kill(pid, 0) == -1);  // (a zombie would still take kill(pid, 0))
    CHECK(errno == ESRCH);

    subprocess q = start_ok("sleep", {"30"});
    const int first = q.pid();
    q = start_ok("true", {});
    errno = 0;
    CHECK(::waitpid(first, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
    subprocess moved(std::move(q));
    CHECK(q.pid() == -1);
    CHECK(moved.pid() > 0);
}

TEST_CASE("subprocess: 50 children started and waited for at once", "[net][subprocess]") {
    runtime rt(real_config(2));
    auto h = rt.spawn(many_children, 50);
    rt.run();
    CHECK(h.value() == 50);
}

TEST_CASE("subprocess: stdio null and inherit make no pipe", "[net][subprocess]") {
    subprocess_options null_in;
    null_in.in = stdio::null;
    subprocess a = start_ok("sh", {"-c", "cat; echo done"}, null_in);  // cat ends at once
    CHECK_FALSE(a.in().is_open());
    subprocess_options null_out;
    null_out.out = stdio::null;
    subprocess b = start_ok("sh", {"-c", "echo hidden; echo visible >&2"}, null_out);
    CHECK_FALSE(b.out().is_open());
    subprocess_options inherit;
    inherit.in = inherit.out = inherit.err = stdio::inherit;
    subprocess c = start_ok("true", {}, inherit);
    CHECK_FALSE(c.in().is_open());
    CHECK_FALSE(c.out().is_open());
    CHECK_FALSE(c.err().is_open());
    runtime rt(real_config(1));
    auto ha = rt.spawn(out_err_status, std::move(a));
    auto hb = rt.spawn(out_err_status, std::move(b));
    auto hc = rt.spawn(waits, std::move(c));
    rt.run();
    const std::string nc = make_error_code(errc::not_connected).message();
    CHECK(ha.value() == "out=done\nerr=exited with code 0");
    CHECK(hb.value() == "out=<" + nc + ">err=visible\nexited with code 0");
    CHECK(hc.value() == "exited with code 0");
}

TEST_CASE("subprocess: the child starts with default signal dispositions and none blocked",
          "[net][subprocess]") {
    struct sigaction ign {};
    struct sigaction old {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    REQUIRE(::sigaction(SIGPIPE, &ign, &old) == 0);
    sigset_t usr1, old_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask) == 0);
    subprocess p = start_ok("grep", {"-E", "^Sig(Blk|Ign)", "/proc/self/status"});
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGPIPE, &old, nullptr);
    runtime rt(real_config(1));
    auto h = rt.spawn(output_and_status, std::move(p));
    rt.run();
    const std::string out = h.value();
    INFO(out);
    unsigned long long blocked = ~0ull, ignored = ~0ull;
    REQUIRE(std::sscanf(out.c_str(), "SigBlk:\t%llx\nSigIgn:\t%llx", &blocked, &ignored) == 2);
    CHECK(blocked == 0);
    // Signals 1..31 (glibc's spawn leaves its own internal real-time signals,
    // 32 and 33, ignored in the child).
    CHECK((ignored & 0x7fffffffull) == 0);
    CHECK(out.find(" | exited with code 0") != std::string::npos);
}

namespace {

/// SIGCHLD ignored for the scope (the kernel then reaps children itself).
struct sigchld_ignored {
    struct sigaction old {};
    sigchld_ignored() {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        ::sigaction(SIGCHLD, &ign, &old);
    }
    ~sigchld_ignored() { ::sigaction(SIGCHLD, &old, nullptr); }
    sigchld_ignored(const sigchld_ignored&) = delete;
    sigchld_ignored& operator=(const sigchld_ignored&) = delete;
};

task<std::string> wait_message(subprocess* p) {
    auto st = co_await p->wait(10s);
    co_return st ? st->to_string() : st.error().message();
}

}  // namespace

TEST_CASE("subprocess: with SIGCHLD ignored, start still succeeds and wait says the status is gone",
          "[net][subprocess]") {
    const sigchld_ignored scope;
    // `true` often ends (and is reaped by the kernel) before start has its
    // pidfd: start must succeed anyway and never signal the freed pid.
    for (int i = 0; i < 100; ++i) {
        auto p = subprocess::start("true");
        INFO("run " << i << ": " << p.error().message());
        REQUIRE(p);
        runtime rt(real_config(1));
        auto h = rt.spawn(wait_message, &*p);
        rt.run();
        CHECK(h.value() == std::make_error_code(std::errc::no_child_process).message());
    }
}
