#include <coronet/channels/topic.hpp>

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "event_log.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

std::string at(const std::string& what, long long t) {
    return what + "@" + std::to_string(t);
}

/// Subscribes, waits `start`, then receives `n` ints (10 ms apart).
task<void> subscriber(topic<int> t, std::string name, duration start, int n, event_log* log) {
    auto sub = t.subscribe();
    co_await self().sleep(start);
    for (int i = 0; i < n; ++i) {
        const int v = co_await self().receive<int>();
        log->add(name, at("got " + std::to_string(v), ms(self().now())));
    }
}

task<void> publishes(topic<int> t, std::vector<int> values, duration start, event_log* log) {
    co_await self().sleep(start);
    for (int v : values) {
        const std::size_t n = t.publish(v);
        log->add("P", "sent " + std::to_string(v) + " to " + std::to_string(n));
    }
}

task<void> delivers(topic<int> t, int v, std::size_t n, duration timeout, duration start,
                    event_log* log) {
    co_await self().sleep(start);
    const std::size_t got = co_await t.deliver(v, n, timeout);
    log->add("D", at("received by " + std::to_string(got), ms(self().now())));
}

/// A subscriber that sleeps, then drains whatever is in its mailbox.
task<std::vector<int>> slow_subscriber(topic<int> t, subscribe_options o, duration nap,
                                       subscription_stats* out) {
    auto sub = t.subscribe(o);
    co_await self().sleep(nap);
    std::vector<int> got;
    bool ended = false;
    for (;;) {
        auto r = co_await self().receive_for(
            0ms, [&](int v) { got.push_back(v); },
            [&](subscription_ended e) { ended = e.overflowed; });
        if (!r) break;
    }
    *out = sub.stats();
    if (ended) got.push_back(-1);
    co_return got;
}

task<std::vector<int>> filtered_subscriber(topic<int> t, int n) {
    auto sub = t.subscribe({}, [](int& v) {
        if (v % 2) return false;  // odd: dropped
        v *= 100;
        return true;
    });
    std::vector<int> got;
    for (int i = 0; i < n; ++i) got.push_back(co_await self().receive<int>());
    co_return got;
}

task<void> subscribes_and_returns(topic<int> t) {
    auto sub = t.subscribe();
    co_await self().sleep(5ms);
}

task<void> subscribes_then_drops(topic<int> t, event_log* log) {
    {
        auto sub = t.subscribe();
        log->add("S", "subscribed: " + std::to_string(t.subscribers()));
    }
    log->add("S", "after scope: " + std::to_string(t.subscribers()));
    co_await self().sleep(1ms);
}

task<void> waits_for_end(topic<int> t, event_log* log) {
    auto sub = t.subscribe();
    auto e = co_await self().receive<subscription_ended>();
    log->add("S", "ended " + e.topic + (e.overflowed ? " by overflow" : " by close") +
                      (sub.active() ? " (still active: wrong)" : ""));
}

/// Waits in receive (bounded subscription), then drains with a short timeout.
task<std::vector<int>> waiting_subscriber(topic<int> t, subscribe_options o,
                                          subscription_stats* out) {
    auto sub = t.subscribe(o);
    std::vector<int> got;
    for (;;) {
        auto v = co_await self().receive<int>(10ms);
        if (!v) break;
        got.push_back(*v);
    }
    *out = sub.stats();
    co_return got;
}

task<void> closes_later(topic<int> t, duration d) {
    co_await self().sleep(d);
    t.close();
}

}  // namespace

TEST_CASE("topic: publish sends every subscriber its own copy, in publish order",
          "[channels][topic]") {
    runtime rt(virtual_config(2));
    auto t = topic<int>::create(rt, "numbers");
    event_log log;
    rt.spawn_opt(spawn_options{placement::pinned(0)}, subscriber, t, std::string("A"), 0ms, 2,
                 &log);
    rt.spawn_opt(spawn_options{placement::pinned(1)}, subscriber, t, std::string("B"), 0ms, 2,
                 &log);
    rt.spawn(publishes, t, std::vector<int>{1, 2}, 1ms, &log);
    rt.run();
    const auto per = log.per_process();
    CHECK(per.at("P") == std::vector<std::string>{"sent 1 to 2", "sent 2 to 2"});
    CHECK(per.at("A") == std::vector<std::string>{"got 1@1", "got 2@1"});
    CHECK(per.at("B") == std::vector<std::string>{"got 1@1", "got 2@1"});
    CHECK(t.stats().deliveries == 4);
}

TEST_CASE("topic: deliver(n) returns when n subscribers have received the message",
          "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "news");
    event_log log;
    rt.spawn(subscriber, t, std::string("A"), 10ms, 1, &log);
    rt.spawn(subscriber, t, std::string("B"), 30ms, 1, &log);
    rt.spawn(subscriber, t, std::string("C"), 500ms, 1, &log);
    rt.spawn(delivers, t, 7, 2, 1s, 1ms, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"A: got 7@10", "B: got 7@30",
                                                  "D: received by 2@30", "C: got 7@500"});
}

TEST_CASE("topic: deliver with n = 0 waits for all, and a timeout gives how many had",
          "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "news");
    event_log log;
    rt.spawn(subscriber, t, std::string("A"), 10ms, 1, &log);
    rt.spawn(subscriber, t, std::string("B"), 100ms, 1, &log);
    rt.spawn(delivers, t, 1, 0, 50ms, 1ms, &log);  // times out at 51
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"A: got 1@10", "D: received by 1@51", "B: got 1@100"});
    rt.spawn(subscriber, t, std::string("E"), 5ms, 1, &log);
    rt.spawn(subscriber, t, std::string("F"), 20ms, 1, &log);
    rt.spawn(delivers, t, 2, 0, 1s, 1ms, &log);  // all: both
    rt.run();
    CHECK(log.since(3) ==
          std::vector<std::string>{"E: got 2@105", "F: got 2@120", "D: received by 2@120"});
}

TEST_CASE("topic: deliver returns early once a copy is lost with its subscriber",
          "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "news");
    event_log log;
    rt.spawn(subscribes_and_returns, t);  // exits at 5 ms without receiving
    rt.spawn(subscriber, t, std::string("A"), 2ms, 1, &log);
    rt.spawn(delivers, t, 3, 0, 10s, 1ms, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"A: got 3@2", "D: received by 1@5"});
    CHECK(t.subscribers() == 0);
    rt.spawn(delivers, t, 4, 0, 10s, 0ms, &log);  // nobody: at once
    rt.run();
    CHECK(log.since(2) == std::vector<std::string>{"D: received by 0@5"});
}

TEST_CASE("topic: a subscription ends with its process or its handle", "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "t");
    event_log log;
    rt.spawn(subscribes_and_returns, t);
    rt.run_for(1ms);
    CHECK(t.subscribers() == 1);
    rt.run();
    CHECK(t.subscribers() == 0);
    CHECK(t.publish(1) == 0);
    rt.spawn(subscribes_then_drops, t, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"S: subscribed: 1", "S: after scope: 0"});
    CHECK(rt.stats().dead_letters == 0);
}

TEST_CASE("topic: the topic's transform and a subscription's filter change or drop messages",
          "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "t");
    t.set_transform([](int& v) {
        if (v < 0) return false;  // negatives never go out
        v += 1;
        return true;
    });
    auto h = rt.spawn(filtered_subscriber, t, 2);
    rt.run_until_idle();
    for (int v : {-5, 1, 2, 3, -1, 5}) t.publish(v);  // transformed: 2, 3, 4, 6
    rt.run();
    CHECK(h.value() == std::vector<int>{200, 400});
    CHECK(t.stats().transform_dropped == 2);
    CHECK(t.stats().published == 6);
}

TEST_CASE("topic: slow subscribers are bounded by their overflow policy, and counted",
          "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "fast");
    subscription_stats newest{}, oldest{}, disc{}, unbounded{};
    auto a =
        rt.spawn(slow_subscriber, t, subscribe_options{3, overflow::drop_newest}, 50ms, &newest);
    auto b =
        rt.spawn(slow_subscriber, t, subscribe_options{3, overflow::drop_oldest}, 50ms, &oldest);
    auto c = rt.spawn(slow_subscriber, t, subscribe_options{3, overflow::disconnect}, 50ms, &disc);
    auto d = rt.spawn(slow_subscriber, t, subscribe_options{}, 50ms, &unbounded);
    rt.run_for(1ms);
    for (int v = 0; v < 10; ++v) t.publish(v);
    rt.run();
    CHECK(a.value() == std::vector<int>{0, 1, 2});
    CHECK(newest.dropped == 7);
    CHECK(newest.received == 3);
    CHECK(b.value() == std::vector<int>{7, 8, 9});
    CHECK(oldest.dropped == 7);
    CHECK(c.value() == std::vector<int>{0, 1, 2, -1});  // then subscription_ended
    CHECK(disc.disconnected);
    CHECK_FALSE(disc.active);
    CHECK(d.value() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(unbounded.sent == 10);
    CHECK(unbounded.dropped == 0);
}

TEST_CASE("topic: drop-oldest keeps a message a waiting receive has matched", "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "burst");
    subscription_stats st{};
    auto h = rt.spawn(waiting_subscriber, t, subscribe_options{3, overflow::drop_oldest}, &st);
    rt.run_for(1ms);  // it waits in receive
    // 0 matches the waiting receive at once and stays (it counts as one of the
    // three waiting); 1..7 are evicted as newer ones arrive.
    for (int v = 0; v < 10; ++v) t.publish(v);
    rt.run();
    CHECK(h.value() == std::vector<int>{0, 8, 9});
    CHECK(st.dropped == 7);
    CHECK(st.received == 3);
}

TEST_CASE("topic: names are unique per runtime and typed", "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "a-rather-long-topic-name-well-past-ten-characters");
    CHECK_THROWS_AS(topic<int>::create(rt, "a-rather-long-topic-name-well-past-ten-characters"),
                    std::invalid_argument);
    auto found = topic<int>::find(rt, "a-rather-long-topic-name-well-past-ten-characters");
    REQUIRE(found);
    CHECK(*found == t);
    CHECK_FALSE(topic<int>::find(rt, "nope"));
    CHECK_THROWS_AS(
        topic<std::string>::find(rt, "a-rather-long-topic-name-well-past-ten-characters"),
        std::invalid_argument);
    t.close();
    CHECK_FALSE(topic<int>::find(rt, "a-rather-long-topic-name-well-past-ten-characters"));
    CHECK(t.publish(1) == 0);
    { auto tmp = topic<int>::create(rt, "temp"); }
    CHECK_FALSE(topic<int>::find(rt, "temp"));  // the last handle freed the name
    CHECK_NOTHROW(topic<int>::create(rt, "temp"));
}

TEST_CASE("topic: close tells every subscriber", "[channels][topic]") {
    runtime rt(virtual_config());
    auto t = topic<int>::create(rt, "closing");
    event_log log;
    rt.spawn(waits_for_end, t, &log);
    rt.spawn(closes_later, t, 5ms);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"S: ended closing by close"});
    CHECK(t.closed());
}
