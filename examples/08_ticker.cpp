// 08_ticker: a stock ticker on a topic, and a bounded channel behind it. A feed
// publishes quotes to the topic "quotes"; three subscribers on two workers each get
// their own copy: a display (every quote), an alert filter (only quotes above 105,
// which it forwards through a channel of capacity 2 to a trader), and a slow archive
// (bounded to 4 waiting quotes, dropping the oldest, counted). The feed ends with deliver():
// it waits until every subscriber has taken the closing quote out of its mailbox.
// Run: build/dev/examples/coronet_example_08_ticker
// Prints what each subscriber saw, the deliver() count, then "ticker: ok".
#include <coronet/channels.hpp>
#include <coronet/coronet.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

struct quote {
    int seq = 0;
    double price = 0;  // seq < 0: the market closed
};

coronet::task<int> display(coronet::topic<quote> t, coronet::channel<int> ready) {
    auto sub = t.subscribe();
    co_await ready.send(1);
    int seen = 0;
    for (;;) {
        const quote q = co_await coronet::self().receive<quote>();
        if (q.seq < 0) break;
        ++seen;
    }
    std::printf("display: %d quotes\n", seen);
    co_return seen;
}

coronet::task<int> alerts(coronet::topic<quote> t, coronet::channel<int> ready,
                          coronet::channel<quote> orders) {
    auto sub = t.subscribe({}, [](quote& q) { return q.seq < 0 || q.price > 105; });
    co_await ready.send(1);
    int n = 0;
    for (;;) {
        const quote q = co_await coronet::self().receive<quote>();
        if (q.seq < 0) break;
        co_await orders.send(q);  // waits while the trader is two orders behind
        ++n;
    }
    orders.close();  // the trader drains the rest, then stops
    std::printf("alerts: %d quotes above 105\n", n);
    co_return n;
}

coronet::task<int> trader(coronet::channel<quote> orders) {
    int n = 0;
    for (;;) {
        auto q = co_await orders.receive();
        if (!q) break;
        co_await coronet::self().sleep(1ms);  // a slow order system
        ++n;
    }
    std::printf("trader: %d orders\n", n);
    co_return n;
}

coronet::task<bool> archive(coronet::topic<quote> t, coronet::channel<int> ready,
                            coronet::channel<int> go) {
    auto sub = t.subscribe({4, coronet::overflow::drop_oldest});
    co_await ready.send(1);
    co_await go.receive();  // busy until the feed is done: quotes pile up, the oldest go
    int kept = 0;
    for (;;) {
        const quote q = co_await coronet::self().receive<quote>();
        if (q.seq < 0) break;
        ++kept;
    }
    const auto dropped = sub.stats().dropped;
    std::printf("archive: kept %d, dropped %llu\n", kept, static_cast<unsigned long long>(dropped));
    const bool bounded = kept <= 4 && kept + static_cast<int>(dropped) == 20;
    if (bounded) std::printf("archive: at most 4 waiting, every drop counted\n");
    co_return bounded;
}

coronet::task<std::size_t> feed(coronet::topic<quote> t, coronet::channel<int> ready,
                                coronet::channel<int> go) {
    for (int i = 0; i < 3; ++i) co_await ready.receive();              // every subscriber is in
    for (int i = 0; i < 20; ++i) t.publish(quote{i, 100.0 + i % 10});  // 106..109: alerts
    co_await go.send(1);
    const quote closing{-1, 0};
    const std::size_t got = co_await t.deliver(closing, 0, 5s);
    std::printf("closing quote received by %zu subscribers\n", got);
    co_return got;
}

int main() {
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto quotes = coronet::topic<quote>::create(rt, "quotes");
    coronet::channel<int> ready(3);
    coronet::channel<quote> orders(2);
    coronet::channel<int> go(1);
    auto on = [](std::uint32_t w) { return coronet::spawn_options{coronet::placement::pinned(w)}; };
    auto d = rt.spawn_opt(on(0), display, quotes, ready);
    auto a = rt.spawn_opt(on(1), alerts, quotes, ready, orders);
    auto tr = rt.spawn_opt(on(0), trader, orders);
    auto ar = rt.spawn_opt(on(1), archive, quotes, ready, go);
    auto f = rt.spawn_opt(on(0), feed, quotes, ready, go);
    rt.run();
    const bool ok =
        d.value() == 20 && a.value() == 8 && tr.value() == 8 && ar.value() && f.value() == 3;
    std::printf("ticker: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
