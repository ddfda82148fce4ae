// Two actor_systems in one process: same node id? can they connect?
#include "common.hpp"
using namespace caf;
int main() {
    std::thread([] {
        std::this_thread::sleep_for(10s);
        say("HANG");
        std::_Exit(3);
    }).detach();
    actor_system_config c1, c2;
    c1.load<io::middleman>();
    c2.load<io::middleman>();
    actor_system a{c1}, b{c2};
    say("node a=", to_string(a.node()), " b=", to_string(b.node()),
        " equal=", a.node() == b.node());
    auto x = a.spawn([]() -> behavior { return {[](int i) { return i + 1; }}; });
    auto port = a.middleman().publish(x, 0, "127.0.0.1");
    auto r = b.middleman().remote_actor("127.0.0.1", *port);
    say("remote_actor from b: ", r ? to_string(*r) : b.render(r.error()));
    anon_send_exit(x, exit_reason::user_shutdown);
}
