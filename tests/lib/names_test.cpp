#include "coronet/names.hpp"

#include <string>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

task<int> named_server() {
    auto s = self();
    bool first = register_name("server", s.id());
    bool again = register_name("server", s.id());  // a clash: unchanged
    int v = co_await s.receive<int>();
    co_return (first ? 100 : 0) + (again ? 10 : 0) + v;
}

task<std::string> client() {
    auto s = self();
    co_await s.yield();  // the server registers first
    auto where = whereis("server");
    send("server", 7);
    bool unbound = send_checked("nobody", 1);
    co_return std::string(where ? "found" : "missing") + (unbound ? " sent" : " not sent");
}

task<std::string> after_holder_exit() {
    auto s = self();
    co_await s.sleep(10ms);  // the holder exited at 0
    auto where = whereis("server");
    bool taken = register_name("server", s.id());
    co_return std::string(where ? "still bound" : "released") +
        (taken ? ", re-registered" : ", clash");
}

task<void> waits() {
    co_await self().receive<int>();
}

task<std::string> registers_other_worker(pid remote) {
    auto s = self();
    bool ok = register_name("remote", remote);
    co_await s.sleep(1ms);
    send("remote", 5);
    co_return ok ? "registered" : "refused";
}

task<void> exits_now() {
    co_return;
}

task<bool> registers_dead(pid dead) {
    co_return register_name("ghost", dead);
}

}  // namespace

TEST_CASE("a registered name is unique, found by whereis and used by send", "[core][names]") {
    runtime rt{virtual_config()};
    auto server = rt.spawn(named_server);
    auto c = rt.spawn(client);
    rt.run();
    CHECK(server.value() == 107);
    CHECK(c.value() == "found not sent");
    CHECK(rt.stats().dead_letters == 1);  // the send to "nobody"
}

TEST_CASE("a name is released when its holder exits (T-LT-05)", "[core][names]") {
    runtime rt{virtual_config()};
    auto server = rt.spawn(named_server);
    rt.spawn(client);  // sends 7 by name once the server has registered
    auto after = rt.spawn(after_holder_exit);
    rt.run();
    CHECK(server.value() == 107);
    CHECK(after.value() == "released, re-registered");
    CHECK_FALSE(rt.whereis("server"));  // the re-registered holder exited too
}

TEST_CASE("a process on another worker can be registered and reached by name", "[core][names]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto remote = rt.spawn_opt(on1, waits);
    auto h = rt.spawn(registers_other_worker, remote.id());
    rt.run();
    CHECK(h.value() == "registered");
    CHECK(remote.exited());  // it got the 5 sent by name
    CHECK_FALSE(rt.whereis("remote"));
}

TEST_CASE("registering a dead pid is refused", "[core][names]") {
    runtime rt{virtual_config()};
    auto dead = rt.spawn(exits_now);
    rt.run();
    auto h = rt.spawn(registers_dead, dead.id());
    rt.run();
    CHECK_FALSE(h.value());
    CHECK_FALSE(rt.whereis("ghost"));
}

TEST_CASE("outside the runtime: register_name and whereis on the runtime", "[core][names]") {
    runtime rt{virtual_config()};
    auto w = rt.spawn(waits);
    CHECK(rt.register_name("w", w.id()));
    CHECK_FALSE(rt.register_name("w", w.id()));
    REQUIRE(rt.whereis("w"));
    CHECK(*rt.whereis("w") == w.id());
    rt.send("w", 1);
    rt.run();
    CHECK_FALSE(rt.whereis("w"));
}

TEST_CASE("unregister_name with a holder releases the name only from that holder",
          "[core][names]") {
    runtime rt{virtual_config()};
    auto first = rt.spawn(waits);
    auto second = rt.spawn(waits);
    REQUIRE(rt.register_name("held", first.id()));
    CHECK_FALSE(rt.unregister_name("held", second.id()));  // (not its holder: kept)
    CHECK(rt.whereis("held") == first.id());
    CHECK(rt.unregister_name("held", first.id()));
    CHECK_FALSE(rt.whereis("held"));
    CHECK_FALSE(rt.unregister_name("held", first.id()));  // (gone already)
    // The first holder's exit does not release the name from a later holder.
    REQUIRE(rt.register_name("held", second.id()));
    rt.send(first.id(), 1);
    rt.run_until_idle();
    CHECK(rt.whereis("held") == second.id());
    rt.send(second.id(), 1);
    rt.run();
    CHECK_FALSE(rt.whereis("held"));
}
