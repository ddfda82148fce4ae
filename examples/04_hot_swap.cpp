// 04_hot_swap: new code loaded while the program runs. A counter behaviour
// (state + handlers) is loaded as version 1 from a shared library and
// started; a producer streams 200000 numbered messages to it; once v1 has handled
// the first half (it reports then), version 2
// is loaded from a second library and the running counter is swapped to it
// (migrating v1's state). At the end the counter reports how many messages
// it handled, their sum, how many came out of order (a loss or a duplicate
// would show there), and how many each version handled.
// Run: build/dev/examples/coronet_example_04_hot_swap [libcounter_v1.so libcounter_v2.so]
// Prints the steps, the counts, then "hot swap: ok" (exit status 0; 1 if a
// check fails). The split between v1 and v2 varies from run to run (on a
// busy machine the swap may land after the last message: v2 then handled
// none of them, and only the final report).
#include <cstdio>
#include <string>
#include <coronet/coronet.hpp>

#include "hot_swap/counter_api.hpp"

namespace {

using namespace counter_api;
using coronet::self;
using coronet::task;

constexpr long total = 200000;

/// From the boss to the producer: the swap is done (the final report must
/// come after it, or a slow swap would be reported by v1).
struct swap_done {};

task<void> producer(coronet::pid counter, coronet::pid boss) {
    for (long i = 1; i <= total; ++i) {
        coronet::send(counter, add{i});
        // After the first half, the counter reports to the boss: the report
        // comes after those messages (one sender, one receiver: FIFO).
        if (i == total / 2) coronet::send(counter, report{boss});
        if (i % 1000 == 0) co_await self().yield();  // let the swap in mid-stream
    }
    (void)co_await self().receive<swap_done>();
    coronet::send(counter, report{boss});  // and after the last one (and the swap)
}

bool check(bool ok, const char* what) {
    std::printf("hot swap: %s: %s\n", what, ok ? "ok" : "FAILED");
    return ok;
}

task<bool> boss(std::string v1_path, std::string v2_path) {
    auto s = self();
    auto& code = coronet::code();
    code.load_library(v1_path);
    std::printf("hot swap: counter v1 loaded from a shared library\n");
    auto counter = coronet::spawn_behaviour(code.find("counter", 1), std::any(state_v1{}),
                                            coronet::behaviour_options{},
                                            coronet::spawn_options{coronet::placement::pinned(1)});
    coronet::register_name("counter", counter.id());
    const coronet::pid before = counter.id();
    auto mon = coronet::monitor(counter.id());
    auto prod = s.spawn(producer, counter.id(), s.id());

    auto half = co_await s.receive<counter_report>();  // v1 has handled the first half
    std::printf("hot swap: v%d handled the first %ld messages\n", half.version, half.count);
    code.load_library(v2_path);
    auto r = co_await coronet::swap(counter.id(), code.find("counter", 2));
    std::printf("hot swap: swap to v2: %s\n", coronet::to_string(r.status));
    coronet::send(prod.id(), swap_done{});
    co_await prod;

    auto rep = co_await s.receive<counter_report>();
    std::printf(
        "hot swap: the counter reports v%d: %ld handled (%ld by v1, %ld by v2), sum %ld, "
        "%ld out of order\n",
        rep.version, rep.count, rep.by_v1, rep.by_v2, rep.sum, rep.out_of_order);
    bool ok = check(static_cast<bool>(r) && rep.version == 2, "swapped to v2");
    ok &= check(coronet::whereis("counter") == before, "pid and name unchanged");
    coronet::send("counter", add{total + 1});  // by name: reaches the same process
    coronet::send(counter.id(), report{s.id()});
    const auto last = co_await s.receive<counter_report>();
    ok &= check(last.count == total + 1, "the name still reaches it");
    const auto down = co_await s.receive<coronet::down_msg>(coronet::duration::zero());
    ok &= check(!down, "no down message: the swap is not an exit");
    ok &= check(rep.count == total && rep.sum == total * (total + 1) / 2 && rep.out_of_order == 0,
                "200000 messages handled exactly once, in order");
    ok &= check(half.version == 1 && half.count == total / 2 && rep.by_v1 >= total / 2 &&
                    rep.by_v1 + rep.by_v2 == total,
                "v1 handled the first half, v2 took over the rest");
    std::string why;
    ok &= check(code.unload("counter", 1, &why), "unload of v1 after the swap");
    const bool refused = !code.unload("counter", 2, &why);
    std::printf("hot swap: unload of v2 while in use: %s\n", why.c_str());
    ok &= check(refused, "unload of v2 refused while in use");
    coronet::demonitor(mon, true);
    coronet::cancel(counter.id(), "done");
    co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string v1 = argc > 2 ? argv[1] : CORONET_COUNTER_V1;
    const std::string v2 = argc > 2 ? argv[2] : CORONET_COUNTER_V2;
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto h = rt.spawn(boss, v1, v2);
    try {
        rt.run();
    } catch (const std::exception& e) {
        std::printf("hot swap: failed: %s\n", e.what());
        return 1;
    }
    const bool ok = h.value();
    std::printf("hot swap: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
