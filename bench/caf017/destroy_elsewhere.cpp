// ~actor_system on a thread other than the one that made the system: hangs in
// CAF 0.17.6 (default config, no actor, no middleman). ./destroy_elsewhere other
#include <cstdio>
#include <memory>
#include <thread>
#include <caf/all.hpp>
int main(int argc, char**) {
    caf::actor_system_config cfg;
    auto sys = std::make_unique<caf::actor_system>(cfg);
    if (argc > 1) {
        std::thread t([&] { sys.reset(); });
        t.join();
    } else
        sys.reset();
    std::printf("done\n");
}
