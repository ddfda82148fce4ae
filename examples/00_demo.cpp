// 00_demo: a tour of coronet's core on the real clock with two workers, where the
// program checks every result itself:
//   ping-pong              100000 round trips between processes pinned to workers 0 and 1
//   fan-out / fan-in       8 pool-placed processes sum ranges; the total is checked
//   receive with a timeout receive<T>(50ms) for a message that never comes
//   selective receive      A, B, A, C arrive; they are taken as C, B, A, A
//   when_any / when_all    sleeping tasks composed with | and &
//   join a failing child   co_await on the child's handle throws; the error is caught
// Run: scripts/demo.sh (release build), or build/dev/examples/coronet_example_00_demo.
// Prints a "== part ==" header, the measured values and an "ok" line per part, then
// "demo: all parts passed" (exit status 0). A failed check prints "FAILED: ..." and the
// program exits with status 1. It ends by itself in about a second.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>
#include <coronet/coronet.hpp>

namespace {

using namespace std::chrono_literals;
using coronet::pid;
using coronet::self;
using coronet::send;
using coronet::task;

/// Prints "FAILED: what" unless `cond` holds; returns `cond`.
bool check(bool cond, const char* what) {
    if (!cond) std::printf("FAILED: %s\n", what);
    return cond;
}

double ms_of(coronet::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// ------------------------------------------------------------------ ping-pong

struct ball {
    pid from;
    int n;
};

struct ping_result {
    int round_trips;  ///< replies that carried the number sent
    double ns_per_round_trip;
};

/// Returns every ball to its sender until it gets a negative one; returns the count.
task<int> pong() {
    auto s = self();
    int returned = 0;
    for (;;) {
        ball b = co_await s.receive<ball>();
        if (b.n < 0) co_return returned;
        send(b.from, ball{s.id(), b.n});
        ++returned;
    }
}

task<ping_result> ping(pid partner, int n) {
    auto s = self();
    int good = 0;
    const coronet::time_point t0 = s.now();
    for (int i = 0; i < n; ++i) {
        send(partner, ball{s.id(), i});
        ball b = co_await s.receive<ball>();
        if (b.n == i && b.from == partner) ++good;
    }
    const coronet::duration took = s.now() - t0;
    send(partner, ball{s.id(), -1});
    co_return ping_result{good, static_cast<double>(took.count()) / n};
}

task<bool> ping_pong_part() {
    std::printf("\n== ping-pong ==\n");
    constexpr int n = 100'000;
    auto s = self();
    auto po = s.spawn_opt({.where = coronet::placement::pinned(1)}, pong);
    auto pi = s.spawn_opt({.where = coronet::placement::pinned(0)}, ping, po.id(), n);
    const ping_result r = co_await pi;
    const int returned = co_await po;
    std::printf("ping-pong: %d round trips between worker %u and worker %u\n", r.round_trips,
                pi.id().worker(), po.id().worker());
    std::printf("ping-pong: %.0f ns per round trip on average\n", r.ns_per_round_trip);
    const bool ok = check(r.round_trips == n, "every reply carries the number sent") &&
                    check(returned == n, "pong returned every ball") &&
                    check(pi.id().worker() != po.id().worker(), "ping and pong on two workers");
    if (ok) std::printf("ping-pong: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ fan-out / fan-in

struct job {
    pid reply_to;
    int index;
    std::uint64_t lo, hi;  ///< sum lo .. hi-1
};

struct partial {
    int index;
    std::uint32_t worker;
    std::uint64_t sum;
};

task<void> summer() {
    auto s = self();
    const job j = co_await s.receive<job>();
    std::uint64_t sum = 0;
    for (std::uint64_t i = j.lo; i < j.hi; ++i) sum += i;
    send(j.reply_to, partial{j.index, s.id().worker(), sum});
}

task<bool> fan_part() {
    std::printf("\n== fan-out / fan-in ==\n");
    constexpr int children = 8;
    constexpr std::uint64_t per_child = 5'000'000;
    constexpr std::uint64_t n = children * per_child;
    auto s = self();
    std::vector<coronet::handle<void>> hs;
    for (int i = 0; i < children; ++i) {
        hs.push_back(s.spawn_opt({.where = coronet::placement::pool()}, summer));
        send(hs.back().id(), job{s.id(), i, i * per_child, (i + 1) * per_child});
    }
    std::uint64_t total = 0;
    std::vector<int> seen(children, 0);
    std::uint32_t on_worker[2] = {0, 0};
    bool all_came = true;
    for (int k = 0; k < children; ++k) {
        std::optional<partial> p = co_await s.receive<partial>(10s);
        if (!p) {
            all_came = false;
            break;
        }
        total += p->sum;
        ++seen[p->index];
        ++on_worker[p->worker % 2];
    }
    for (auto& h : hs) co_await h;
    const std::uint64_t expected = n * (n - 1) / 2;
    std::printf("fan: %d processes summed 0..%llu; total %llu, closed form n(n-1)/2 = %llu\n",
                children, static_cast<unsigned long long>(n - 1),
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(expected));
    std::printf("fan: partial sums computed on worker 0: %u, on worker 1: %u\n", on_worker[0],
                on_worker[1]);
    bool once = true;
    for (int c : seen) once = once && c == 1;
    const bool ok = check(all_came, "every partial sum arrived within 10 s") &&
                    check(once, "one partial sum per child") &&
                    check(total == expected, "the total equals the closed form");
    if (ok) std::printf("fan: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ receive with a timeout

struct never_sent {};

task<bool> timeout_part() {
    std::printf("\n== receive with a timeout ==\n");
    auto s = self();
    const coronet::time_point t0 = s.now();
    std::optional<never_sent> m = co_await s.receive<never_sent>(50ms);
    const coronet::duration waited = s.now() - t0;
    std::printf("timeout: receive<never_sent>(50ms) gave %s after %.1f ms\n",
                m ? "a message" : "nothing", ms_of(waited));
    const bool ok = check(!m, "no message came") &&
                    check(waited >= 50ms, "it waited at least 50 ms") &&
                    check(waited < 5s, "it did not wait for ever");
    if (ok) std::printf("timeout: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ selective receive

struct msg_a {
    int seq;
};
struct msg_b {};
struct msg_c {};

struct selective_result {
    std::string order;  ///< what was taken, e.g. "C B A1 A2"
    std::size_t waiting_after_c;
};

/// Appends a label to the order ("C", " B", " A1"), one char at a time.
void note(std::string& order, char kind, int seq = 0) {
    if (!order.empty()) order.push_back(' ');
    order.push_back(kind);
    if (seq > 0) order.push_back(static_cast<char>('0' + seq));
}

/// Takes C first, then B, then the A's: the others wait in the mailbox, in order.
task<selective_result> picky() {
    auto s = self();
    selective_result r;
    (void)co_await s.receive<msg_c>();
    r.waiting_after_c = s.mailbox_size();
    note(r.order, 'C');
    (void)co_await s.receive<msg_b>();
    note(r.order, 'B');
    for (int i = 0; i < 2; ++i) {
        const msg_a a = co_await s.receive<msg_a>();
        note(r.order, 'A', a.seq);
    }
    co_return r;
}

task<bool> selective_part() {
    std::printf("\n== selective receive ==\n");
    auto s = self();
    auto h = s.spawn_opt({.where = coronet::placement::pinned(1)}, picky);
    send(h.id(), msg_a{1});
    send(h.id(), msg_b{});
    send(h.id(), msg_a{2});
    send(h.id(), msg_c{});
    const selective_result r = co_await h;
    std::printf("selective: sent A1 B A2 C, received %s\n", r.order.c_str());
    std::printf("selective: after taking C, %zu messages were still waiting\n", r.waiting_after_c);
    const bool ok = check(r.order == "C B A1 A2", "received in the order C B A1 A2") &&
                    check(r.waiting_after_c == 3, "A1 B A2 stayed in the mailbox");
    if (ok) std::printf("selective: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ when_any / when_all

task<int> nap(int ms) {
    co_await self().sleep(std::chrono::milliseconds(ms));
    co_return ms;
}

task<bool> compose_part() {
    std::printf("\n== when_any / when_all ==\n");
    auto s = self();
    coronet::time_point t0 = s.now();
    auto first = co_await (nap(150) | nap(20) | nap(300));
    const coronet::duration any_took = s.now() - t0;
    const int v = std::visit([](int x) { return x; }, first.value);
    std::printf("when_any: nap(150) | nap(20) | nap(300) -> index %zu, value %d, after %.1f ms\n",
                first.index, v, ms_of(any_took));

    t0 = s.now();
    auto [a, b, c] = co_await (nap(20) & nap(40) & nap(60));
    const coronet::duration all_took = s.now() - t0;
    std::printf("when_all: nap(20) & nap(40) & nap(60) -> {%d, %d, %d}, after %.1f ms\n", a, b, c,
                ms_of(all_took));
    const bool ok =
        check(first.index == 1 && v == 20, "| gives the first to finish") &&
        check(any_took >= 20ms && any_took < 150ms, "| returns before the losers would finish") &&
        check(a == 20 && b == 40 && c == 60, "& gives every value in operand order") &&
        check(all_took >= 60ms, "& waits for the slowest operand");
    if (ok) std::printf("compose: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ join a failing child

struct join_report {
    std::string thrown;       ///< what `co_await child` threw
    std::string child_error;  ///< the child's own exception, read from its handle
};

task<void> faulty(int input) {
    co_await self().sleep(1ms);
    throw std::runtime_error("bad input " + std::to_string(input));
}

/// "what()" of the exception `e`, or "no error".
std::string what_of(const std::exception_ptr& e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    }
    return "no error";
}

/// The error a finished process failed with (handle::value() rethrows it).
std::string error_of(const coronet::handle<void>& h) {
    try {
        h.value();
    } catch (...) {
        return what_of(std::current_exception());
    }
    return "no error";
}

/// Joins a child that throws, catches what the join throws and reports it. The child is
/// linked to this process (LK-1): its failure also cancels this process, and when that
/// cancellation reaches the join first (CX-6) the join throws cancelled_error; the
/// child's own exception is then in its handle. This process exits with the child's
/// error either way.
task<void> joiner(pid report_to) {
    auto child = self().spawn(faulty, 7);
    join_report r;
    try {
        co_await child;
        r.thrown = "nothing";
    } catch (const coronet::cancelled_error& e) {
        r.thrown = "coronet::cancelled_error: ";
        r.thrown += e.what();
    } catch (const std::runtime_error& e) {
        r.thrown = "std::runtime_error: ";
        r.thrown += e.what();
    }
    r.child_error = error_of(child);
    send(report_to, std::move(r));
}

task<bool> join_part() {
    std::printf("\n== join a failing child ==\n");
    auto s = self();
    // when_all_settled runs the joiner as an operand: its failure becomes a value here
    // instead of failing this process.
    auto [joined] = co_await coronet::when_all_settled(joiner(s.id()));
    std::optional<join_report> r = co_await s.receive<join_report>(1s);
    if (!check(r.has_value(), "the joiner reported")) co_return false;
    std::printf("join: co_await on the child's handle threw %s; caught\n", r->thrown.c_str());
    std::printf("join: the child's error, from its handle: \"%s\"\n", r->child_error.c_str());
    std::printf("join: the joiner then exited with the child's error: \"%s\"\n",
                what_of(joined.error()).c_str());
    const bool ok = check(r->thrown != "nothing", "the join threw") &&
                    check(r->child_error == "bad input 7", "the handle holds the child's error") &&
                    check(!joined.has_value() && what_of(joined.error()) == "bad input 7",
                          "the linked parent failed with its child's error");
    if (ok) std::printf("join: ok\n");
    co_return ok;
}

// ------------------------------------------------------------------ driver

task<int> demo() {
    int failed = 0;
    failed += !co_await ping_pong_part();
    failed += !co_await fan_part();
    failed += !co_await timeout_part();
    failed += !co_await selective_part();
    failed += !co_await compose_part();
    failed += !co_await join_part();
    co_return failed;
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt{cfg};
    std::printf("coronet demo: %u workers, real clock\n", rt.workers());
    auto h = rt.spawn(demo);
    try {
        rt.run();
    } catch (const std::exception& e) {
        std::printf("FAILED: the demo process threw: %s\n", e.what());
        return 1;
    }
    const int failed = h.value();
    if (failed != 0) {
        std::printf("\ndemo: %d part(s) FAILED\n", failed);
        return 1;
    }
    std::printf("\ndemo: all parts passed\n");
    return 0;
}
