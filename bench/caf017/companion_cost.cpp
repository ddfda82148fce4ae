// Cost of creating / destroying actor_companions from a plain thread, and
// their memory while alive (coronet creates one per process that leaves the node).
#include "common.hpp"
using namespace caf;
int main() {
    actor_system_config cfg;
    cfg.load<io::middleman>();
    std::optional<actor_system> sysx;
    sysx.emplace(cfg);
    auto& sys = *sysx;
    const size_t n = 100000;
    std::vector<actor> xs;
    xs.reserve(n);
    auto rss0 = rss_kb();
    auto t0 = clk::now();
    for (size_t i = 0; i < n; ++i) {
        xs.push_back(sys.spawn<actor_companion>());
        auto c = static_cast<actor_companion*>(actor_cast<abstract_actor*>(xs.back()));
        c->on_enqueue([](mailbox_element_ptr) {});
    }
    auto create_us = us_since(t0) / n;
    auto per_kb = double(rss_kb() - rss0) / n;
    t0 = clk::now();
    scoped_execution_unit ctx{&sys};
    for (auto& x : xs)
        static_cast<actor_companion*>(actor_cast<abstract_actor*>(x))
            ->cleanup(make_error(exit_reason::normal), &ctx);
    xs.clear();
    auto destroy_us = us_since(t0) / n;
    say("companions: create_us=", create_us, " cleanup+release_us=", destroy_us,
        " rss_per_companion_bytes=", per_kb * 1024, " registry running=", sys.registry().running());
    t0 = clk::now();
    sysx.reset();
    say("~actor_system ", us_since(t0) / 1000, " ms");
}
