// 03_workers: CPU-bound work in parallel on two workers (real clock). A boss process
// spawns four children pinned alternately to worker 0 and worker 1, each counting the
// primes in a quarter of [0, 1000000); it joins them through their handles and checks
// the total (78498). Then when_all_settled runs a child handle and two tasks, one of
// which throws, and reports each outcome without failing the boss.
// Run: build/dev/examples/coronet_example_03_workers
// Prints each child's worker and count, the total with "primes: ok", the three settled
// outcomes with "settled: ok", then "workers: ok" (exit status 0; 1 if a check fails).
// The timing line (parallel against sequential) varies from run to run.
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>
#include <coronet/coronet.hpp>

namespace {

using coronet::self;
using coronet::task;

bool is_prime(int n) {
    if (n < 2) return false;
    for (int d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

/// Primes in [lo, hi). Never suspends: it keeps its worker busy until it is done.
task<int> count_primes(int lo, int hi) {
    int n = 0;
    for (int i = lo; i < hi; ++i) n += is_prime(i);
    co_return n;
}

/// 12 for "12"; throws std::invalid_argument for anything else.
task<int> parse_number(std::string text) {
    std::size_t used = 0;
    int v = 0;
    try {
        v = std::stoi(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size()) throw std::invalid_argument("not a number: " + text);
    co_return v;
}

double ms_since(coronet::time_point t0) {
    return std::chrono::duration<double, std::milli>(self().now() - t0).count();
}

task<bool> parallel_primes() {
    constexpr int limit = 1'000'000, children = 4, slice = limit / children;
    auto s = self();
    coronet::time_point t0 = s.now();
    std::vector<coronet::handle<int>> hs;
    for (int i = 0; i < children; ++i)
        hs.push_back(s.spawn_opt({.where = coronet::placement::pinned(i % 2)}, count_primes,
                                 i * slice, (i + 1) * slice));
    int total = 0;
    for (int i = 0; i < children; ++i) {
        const int n = co_await hs[i];  // join: waits for the child, gives its value
        std::printf("child %d on worker %u: %d primes in [%d, %d)\n", i, hs[i].id().worker(), n,
                    i * slice, (i + 1) * slice);
        total += n;
    }
    const double parallel_ms = ms_since(t0);

    t0 = s.now();
    int sequential = 0;
    for (int i = 0; i < children; ++i)  // awaiting a task runs it in this process
        sequential += co_await count_primes(i * slice, (i + 1) * slice);
    std::printf("timing: %.1f ms on two workers, %.1f ms in one process\n", parallel_ms,
                ms_since(t0));

    std::printf("total: %d primes below %d\n", total, limit);
    const bool ok = total == 78498 && sequential == total;
    std::printf(ok ? "primes: ok\n" : "FAILED: expected 78498 primes\n");
    co_return ok;
}

std::string describe(const coronet::outcome<int>& o) {
    if (o) return "value " + std::to_string(o.value());
    try {
        std::rethrow_exception(o.error());
    } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
    }
}

task<bool> settled() {
    auto s = self();
    auto child = s.spawn_opt({.where = coronet::placement::pinned(1)}, count_primes, 0, 100);
    // Task operands run as child processes whose failure is reported here, as a value.
    auto [a, b, c] =
        co_await coronet::when_all_settled(child, parse_number("12"), parse_number("twelve"));
    std::printf("settled 0 (child handle): %s\n", describe(a).c_str());
    std::printf("settled 1 (parse \"12\"): %s\n", describe(b).c_str());
    std::printf("settled 2 (parse \"twelve\"): %s\n", describe(c).c_str());
    const bool ok = a && a.value() == 25 && b && b.value() == 12 && !c;
    std::printf(ok ? "settled: ok\n" : "FAILED: unexpected outcomes\n");
    co_return ok;
}

task<bool> boss() {
    const bool primes_ok = co_await parallel_primes();
    const bool settled_ok = co_await settled();
    co_return primes_ok&& settled_ok;
}

}  // namespace

int main() {
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt{cfg};
    auto h = rt.spawn(boss);
    rt.run();  // rethrows if the boss failed
    if (!h.value()) return 1;
    std::printf("workers: ok\n");
    return 0;
}
