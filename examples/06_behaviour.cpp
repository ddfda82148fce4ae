// 06_behaviour: a behaviour (state + handlers) swapped to a new version while it runs.
// Version 1 of a counter adds 1 per message; version 2 adds 2 and keeps a history, its
// migration taking version 1's count over. The pid, the mailbox and the monitor survive.
// Run: build/dev/examples/coronet_example_06_behaviour
// Prints the count before and after the swap (3, then 9), then "behaviour: ok".
#include <coronet/coronet.hpp>

#include <cstdio>
#include <memory>

struct inc {};
struct get {
    coronet::pid reply_to;
};
struct v2_state {
    long count;
    int swaps;
};

coronet::task<long> ask(coronet::pid counter) {
    coronet::send(counter, get{coronet::self().id()});
    co_return co_await coronet::self().receive<long>();
}

coronet::task<bool> owner() {
    auto v1 = std::make_shared<coronet::behaviour_of<long>>("counter", 1);
    v1->on<inc>([](long& n, inc&) { n += 1; });
    v1->on<get>([](long& n, get& g) { coronet::send(g.reply_to, n); });

    auto v2 = std::make_shared<coronet::behaviour_of<v2_state>>("counter", 2);
    v2->on<inc>([](v2_state& s, inc&) { s.count += 2; });
    v2->on<get>([](v2_state& s, get& g) { coronet::send(g.reply_to, s.count); });
    v2->migrate_from<long>([](const long& n) { return v2_state{n, 1}; });

    auto counter = coronet::spawn_behaviour(coronet::behaviour_ref(v1), 0L);
    auto mon = coronet::monitor(counter.id());
    for (int i = 0; i < 3; ++i) coronet::send(counter.id(), inc{});
    std::printf("v1 counted %ld\n", co_await ask(counter.id()));

    auto r = co_await coronet::swap(counter.id(), coronet::behaviour_ref(v2));
    for (int i = 0; i < 3; ++i) coronet::send(counter.id(), inc{});
    const long n = co_await ask(counter.id());
    std::printf("swap: %s; v2 counted %ld\n", coronet::to_string(r.status), n);

    coronet::demonitor(mon, /*flush=*/true);
    coronet::cancel(counter.id());
    co_return r&& n == 9;
}

int main() {
    coronet::runtime rt;
    auto h = rt.spawn(owner);
    rt.run();
    std::printf("behaviour: %s\n", h.value() ? "ok" : "FAILED");
    return h.value() ? 0 : 1;
}
