#include <coronet/channels/select.hpp>

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

task<void> send_later(channel<int> ch, int v, duration d) {
    co_await self().sleep(d);
    co_await ch.send(v);
}

task<void> selects_two(channel<int> a, channel<int> b, event_log* log) {
    auto r = co_await select(on_receive(a), on_receive(b));
    if (r.index() == 0)
        log->add("S", "a " + std::to_string(r.get<0>()) + "@" + std::to_string(ms(self().now())));
    if (r.index() == 1)
        log->add("S", "b " + std::to_string(r.get<1>()) + "@" + std::to_string(ms(self().now())));
}

task<void> selects_with_timeout(channel<int> a, channel<int> b, duration d, event_log* log) {
    auto r = co_await select_for(d, on_receive(a), on_receive(b));
    log->add("S", (r.timed_out() ? "timeout@" : "fired@") + std::to_string(ms(self().now())));
}

/// Selects `rounds` times over two always-ready channels; counts the choices.
task<std::vector<int>> counts_choices(channel<int> a, channel<int> b, int rounds) {
    std::vector<int> counts(2, 0);
    for (int i = 0; i < rounds; ++i) {
        auto r = co_await select(on_receive(a), on_receive(b));
        ++counts[static_cast<std::size_t>(r.index())];
        const int back = r.index() == 0 ? r.get<0>() : r.get<1>();
        (r.index() == 0 ? a : b).try_send(back);  // keep both ready
    }
    co_return counts;
}

task<std::string> choice_sequence(channel<int> a, channel<int> b, int rounds) {
    std::string seq;
    for (int i = 0; i < rounds; ++i) {
        auto r = co_await select(on_receive(a), on_receive(b));
        seq += r.index() == 0 ? 'a' : 'b';
        (r.index() == 0 ? a : b).try_send(0);
    }
    co_return seq;
}

task<void> send_or_receive(channel<int> out, channel<int> in, event_log* log) {
    auto r = co_await select(on_send(out, 5), on_receive(in));
    log->add("S", r.index() == 0 ? std::string("sent") : "got " + std::to_string(r.get<1>()));
}

task<void> receive_one(channel<int> ch, event_log* log, std::string name) {
    auto v = co_await ch.receive();
    log->add(name, v ? "got " + std::to_string(*v) : std::string("closed"));
}

task<void> selects_closed(channel<int> a, channel<int> b, event_log* log) {
    auto r = co_await select(on_receive(a), on_send(b, 1));
    log->add("S", std::to_string(r.index()) + (r.closed() ? " closed" : " ok"));
}

}  // namespace

TEST_CASE("select: waits on every case and takes the first that becomes ready",
          "[channels][select]") {
    runtime rt(virtual_config(2));
    channel<int> a(0), b(0);
    event_log log;
    rt.spawn(selects_two, a, b, &log);
    rt.spawn_opt(spawn_options{placement::pinned(1)}, send_later, b, 2, 20ms);
    rt.run_for(30ms);
    CHECK(log.lines() == std::vector<std::string>{"S: b 2@20"});
    // The select left a's queue: a send on a now finds no receiver.
    CHECK_FALSE(a.try_send(1));
    rt.shutdown();
}

TEST_CASE("select: a timeout ends it at the exact virtual deadline and leaves no waiter",
          "[channels][select]") {
    runtime rt(virtual_config());
    channel<int> a(0), b(0);
    event_log log;
    rt.spawn(selects_with_timeout, a, b, 25ms, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"S: timeout@25"});
    CHECK_FALSE(a.try_send(1));
    CHECK_FALSE(b.try_send(1));
    rt.spawn(selects_with_timeout, a, b, 0ms, &log);  // zero: polls
    rt.run();
    CHECK(log.since(1) == std::vector<std::string>{"S: timeout@25"});
}

TEST_CASE("select: chooses fairly among ready cases", "[channels][select]") {
    runtime rt(virtual_config());
    channel<int> a(1), b(1);
    REQUIRE(a.try_send(0));
    REQUIRE(b.try_send(0));
    auto h = rt.spawn(counts_choices, a, b, 2000);
    rt.run();
    const auto counts = h.value();
    CHECK(counts[0] + counts[1] == 2000);
    CHECK(counts[0] > 850);  // a fair coin: 1000 +- 150 is > 6 sigma
    CHECK(counts[1] > 850);
}

TEST_CASE("select: the choice is the same in every run on the virtual clock",
          "[channels][select]") {
    auto run_once = [] {
        runtime rt(virtual_config());
        channel<int> a(1), b(1);
        a.try_send(0);
        b.try_send(0);
        auto h = rt.spawn(choice_sequence, a, b, 64);
        rt.run();
        return h.value();
    };
    const std::string first = run_once();
    CHECK(first.find('a') != std::string::npos);
    CHECK(first.find('b') != std::string::npos);
    CHECK(run_once() == first);
}

TEST_CASE("select: a send case fires when a receiver comes", "[channels][select]") {
    runtime rt(virtual_config());
    channel<int> out(0), in(0);
    event_log log;
    rt.spawn(send_or_receive, out, in, &log);
    rt.run_until_idle();
    rt.spawn(receive_one, out, &log, std::string("R"));
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"R: got 5", "S: sent"});
    CHECK_FALSE(in.try_send(1));  // the receive case left its queue
}

TEST_CASE("select: a receive case fires with the value and the send case's value is dropped",
          "[channels][select]") {
    runtime rt(virtual_config());
    channel<int> out(0), in(1);
    event_log log;
    REQUIRE(in.try_send(9));
    rt.spawn(send_or_receive, out, in, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"S: got 9"});
    CHECK(out.try_receive().status == chan_status::empty);
}

TEST_CASE("select: a closed channel fires its case with closed()", "[channels][select]") {
    runtime rt(virtual_config());
    channel<int> a(0), b(0);
    event_log log;
    rt.spawn(selects_closed, a, b, &log);
    rt.run_until_idle();
    b.close();
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"S: 1 closed"});
}
