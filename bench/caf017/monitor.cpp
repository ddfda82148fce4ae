// Node loss: connects to the server, sets up three kinds of watches on the
// remote handle, then signals the server process (SIGKILL or SIGSTOP) and
// measures how long each watch takes to fire. Also checks whether pending
// requests (infinite and finite timeout) fail when the peer is lost.
#include "common.hpp"

#include <csignal>

using namespace caf;

int main(int argc, char** argv) {
    proto_config cfg;
    if (auto rc = parse_or_exit(cfg, argc, argv)) return rc == 2 ? 0 : rc;
    std::thread([s = cfg.seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(s));
        say("monitor TIMEOUT/HANG after ", s, " s");
        std::_Exit(3);
    }).detach();
    std::optional<actor_system> sys_storage;
    sys_storage.emplace(cfg);
    {
        auto& sys = *sys_storage;
        auto r = cfg.tls ? openssl::remote_actor(sys, cfg.host, cfg.port)
                         : sys.middleman().remote_actor(cfg.host, cfg.port);
        if (!r) {
            say("remote_actor failed: ", sys.render(r.error()));
            return 1;
        }
        auto remote = *r;
        std::atomic<int64_t> t0_ns{0};
        auto since_kill_ms = [&] {
            return (clk::now().time_since_epoch().count() - t0_ns.load()) / 1e6;
        };
        // (a) companion monitors the proxy; down_msg arrives through on_enqueue
        mqueue q;
        auto me = sys.spawn<actor_companion>();
        auto comp = static_cast<actor_companion*>(actor_cast<abstract_actor*>(me));
        comp->on_enqueue([&](mailbox_element_ptr x) {
            say("(a) companion got ", x->content().stringify(), " after ", since_kill_ms(),
                " ms on ", thread_name());
            q.push(std::move(x));
        });
        comp->monitor(remote);  // called from main (non-actor) thread
        // (b) attach_functor on the proxy: callback with the exit reason
        remote->attach_functor([&](const error& reason) {
            say("(b) attach_functor fired: ", sys.render(reason), " after ", since_kill_ms(),
                " ms on ", thread_name());
        });
        // (c) event_based actor: monitor + pending requests
        auto watcher = sys.spawn([&, remote](event_based_actor* self) -> behavior {
            self->monitor(remote);
            self->set_down_handler([&, self](down_msg& dm) {
                say("(c) actor down_msg reason=", sys.render(dm.reason), " after ", since_kill_ms(),
                    " ms");
            });
            self->request(remote, infinite, atom("hold"))
                .then([](atom_value) { say("(c) infinite request: reply?"); },
                      [&](error& e) {
                          say("(c) infinite request failed: ", sys.render(e), " after ",
                              since_kill_ms(), " ms");
                      });
            self->request(remote, std::chrono::seconds(6), atom("hold"))
                .then([](atom_value) { say("(c) 6s request: reply?"); },
                      [&](error& e) {
                          say("(c) 6s request failed: ", sys.render(e), " after ", since_kill_ms(),
                              " ms");
                      });
            return {[](atom_value) {}};
        });
        std::this_thread::sleep_for(300ms);
        t0_ns = clk::now().time_since_epoch().count();
        say("sending SIG", cfg.sig == "stop" ? "STOP" : "KILL", " to ", cfg.victim);
        ::kill(cfg.victim, cfg.sig == "stop" ? SIGSTOP : cfg.sig == "none" ? 0 : SIGKILL);
        std::this_thread::sleep_for(std::chrono::seconds(cfg.seconds - 4));
        say("observation window over; sending after-loss message");
        send_as(me, remote, atom("late"));  // async to a dead proxy
        // a request-type message (our own request number 77) to the dead proxy:
        remote->enqueue(make_mailbox_element(actor_cast<strong_actor_ptr>(me), make_message_id(77),
                                             {}, atom("late")),
                        nullptr);
        std::this_thread::sleep_for(300ms);
        anon_send_exit(watcher, exit_reason::user_shutdown);
        scoped_execution_unit ctx{&sys};
        comp->cleanup(make_error(exit_reason::user_shutdown), &ctx);
        if (cfg.sig == "stop") ::kill(cfg.victim, SIGKILL);
        remote = nullptr;
        me = nullptr;
    }
    auto t = clk::now();
    say("destroying actor_system");
    sys_storage.reset();
    say("~actor_system took ", us_since(t) / 1000, " ms");
    return 0;
}
