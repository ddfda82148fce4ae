// Real threads, two workers: many producers and consumers on one channel,
// and a topic delivering across workers. Assertions on the test thread only.

#include <atomic>
#include <memory>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/channels.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/spawn.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

constexpr int producers = 10;
constexpr int consumers = 10;
constexpr int per_producer = 100'000;

task<void> produce(channel<int> ch, int id) {
    for (int i = 0; i < per_producer; ++i) co_await ch.send(id * per_producer + i);
}

/// Receives until the channel is closed and drained; marks each item seen.
task<void> consume(channel<int> ch, std::vector<std::atomic<std::uint8_t>>* seen,
                   std::atomic<long long>* total) {
    long long n = 0;
    for (;;) {
        auto v = co_await ch.receive();
        if (!v) break;
        (*seen)[static_cast<std::size_t>(*v)].fetch_add(1, std::memory_order_relaxed);
        ++n;
    }
    total->fetch_add(n);
}

task<void> run_pipeline(channel<int> ch, std::vector<std::atomic<std::uint8_t>>* seen,
                        std::atomic<long long>* total) {
    std::vector<handle<void>> ps;
    std::vector<handle<void>> cs;
    auto on = [](int i) {
        return spawn_options{placement::pinned(static_cast<std::uint32_t>(i % 2))};
    };
    for (int c = 0; c < consumers; ++c)
        cs.push_back(self().spawn_opt(on(c), consume, ch, seen, total));
    for (int p = 0; p < producers; ++p) ps.push_back(self().spawn_opt(on(p + 1), produce, ch, p));
    for (auto& p : ps) co_await p;
    ch.close();  // the consumers drain and stop
    for (auto& c : cs) co_await c;
}

task<std::size_t> deliver_round(topic<int> t, int rounds, std::size_t subs, channel<int> ready) {
    for (std::size_t i = 0; i < subs; ++i) co_await ready.receive();  // all subscribed
    std::size_t short_rounds = 0;
    for (int i = 0; i < rounds; ++i) {
        const std::size_t got = co_await t.deliver(i, 0, std::chrono::seconds(10));
        if (got != subs) ++short_rounds;
    }
    co_return short_rounds;
}

task<int> topic_reader(topic<int> t, int rounds, channel<int> ready) {
    auto sub = t.subscribe();
    co_await ready.send(1);
    int sum = 0;
    for (int i = 0; i < rounds; ++i) sum += co_await self().receive<int>();
    co_return sum;
}

task<void> publisher(topic<int> t, int base, int n, channel<int> ready, std::size_t subs) {
    for (std::size_t i = 0; i < subs; ++i) co_await ready.receive();  // one per subscriber
    for (int i = 0; i < n; ++i) t.publish(base + i);
}

task<std::vector<int>> recorder(topic<int> t, int n, channel<int> ready0, channel<int> ready1) {
    auto sub = t.subscribe();
    co_await ready0.send(1);  // each publisher learns that this one is in
    co_await ready1.send(1);
    std::vector<int> seen;
    seen.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) seen.push_back(co_await self().receive<int>());
    co_return seen;
}

}  // namespace

TEST_CASE("channel: 10 producers x 100 000 items reach 10 consumers exactly once, on 2 workers",
          "[channels][channel][threads]") {
    runtime rt(real_config(2));
    channel<int> ch(64);
    std::vector<std::atomic<std::uint8_t>> seen(static_cast<std::size_t>(producers * per_producer));
    std::atomic<long long> total{0};
    rt.spawn(run_pipeline, ch, &seen, &total);
    rt.run();
    CHECK(total.load() == static_cast<long long>(producers) * per_producer);
    std::size_t wrong = 0;
    for (auto& s : seen)
        if (s.load() != 1) ++wrong;
    CHECK(wrong == 0);
}

TEST_CASE("topic: deliver counts receipts from subscribers on both workers",
          "[channels][topic][threads]") {
    runtime rt(real_config(2));
    auto t = topic<int>::create(rt, "cross");
    constexpr int rounds = 2000;
    constexpr std::size_t subs = 6;
    channel<int> ready(subs);
    std::vector<handle<int>> readers;
    for (std::size_t i = 0; i < subs; ++i)
        readers.push_back(
            rt.spawn_opt(spawn_options{placement::pinned(static_cast<std::uint32_t>(i % 2))},
                         topic_reader, t, rounds, ready));
    auto d = rt.spawn(deliver_round, t, rounds, subs, ready);
    rt.run();
    CHECK(d.value() == 0);
    for (auto& r : readers) CHECK(r.value() == rounds * (rounds - 1) / 2);
}

TEST_CASE("topic: subscribers on both workers see concurrent publishers in one order",
          "[channels][topic][threads]") {
    runtime rt(real_config(2));
    auto t = topic<int>::create(rt, "ordered");
    constexpr int per = 5000;
    channel<int> ready0(2), ready1(2);  // to each publisher: one per subscriber
    auto on = [](std::uint32_t w) { return spawn_options{placement::pinned(w)}; };
    auto r0 = rt.spawn_opt(on(0), recorder, t, 2 * per, ready0, ready1);
    auto r1 = rt.spawn_opt(on(1), recorder, t, 2 * per, ready0, ready1);
    rt.spawn_opt(on(0), publisher, t, 0, per, ready0, std::size_t{2});
    rt.spawn_opt(on(1), publisher, t, 1'000'000, per, ready1, std::size_t{2});
    rt.run();
    const auto a = r0.value();
    const auto b = r1.value();
    REQUIRE(a.size() == b.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) ++differ;
    CHECK(differ == 0);
}
