// Which payload types travel without registration, and what an unregistered
// custom type looks like at the receiver.
//   ./types --mode=server [--stop=reg]   companion that prints every message
//   ./types --mode=client --port=P [--stop=reg]
#include "common.hpp"
using namespace caf;

struct foo {
    int32_t a;
    std::string b;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, foo& x) {
    return f(meta::type_name("foo"), x.a, x.b);
}

int main(int argc, char** argv) {
    proto_config cfg;
    if (auto rc = parse_or_exit(cfg, argc, argv)) return rc == 2 ? 0 : rc;
    bool reg = cfg.stop == "reg";
    if (reg) cfg.add_message_type<foo>("foo");
    std::thread([s = cfg.seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(s));
        say("TIMEOUT/HANG");
        std::_Exit(3);
    }).detach();
    std::optional<actor_system> sysx;
    sysx.emplace(cfg);
    auto& sys = *sysx;
    auto me = sys.spawn<actor_companion>();
    auto comp = static_cast<actor_companion*>(actor_cast<abstract_actor*>(me));
    mqueue q;
    comp->on_enqueue([&](mailbox_element_ptr x) { q.push(std::move(x)); });
    if (cfg.mode == "server") {
        auto port = sys.middleman().publish(me, 0, "127.0.0.1");
        say("PORT ", *port);
        while (auto x = q.pop(3000ms)) {
            auto& c = x->content();
            std::ostringstream os;
            for (size_t i = 0; i < c.size(); ++i)
                os << (i ? "," : "") << "nr" << c.type(i).first << "/"
                   << (c.type(i).second ? c.type(i).second->name() : "-");
            say("server (reg=", reg, ") got size=", c.size(), " types=[", os.str(),
                "] value=", c.stringify(), " request=", x->mid.is_request());
            if (c.match_elements<std::string, actor>()) {
                // a handle that arrived inside a message: a proxy we can send to
                auto target = c.get_as<actor>(1);
                send_as(me, target, std::string("sent to the handle from the message"));
            }
            if (x->mid.is_request())
                reply_to(actor_cast<strong_actor_ptr>(me), *x, make_message(std::string("ack")));
        }
    } else {
        auto srv = sys.middleman().remote_actor(cfg.host, cfg.port);
        if (!srv) {
            say("connect failed");
            return 1;
        }
        auto s = *srv;
        send_as(me, s, std::string("a string"));
        send_as(me, s, std::vector<char>{'a', 'b', '\0', 'c'});
        send_as(me, s, uint64_t{42}, std::string("u64+string"));
        send_as(me, s, std::vector<uint8_t>{1, 2, 3});  // not a builtin type
        send_as(me, s, foo{7, "seven"});                // custom type
        send_as(me, s, std::string("after foo"));
        scoped_actor self{sys};
        self->request(s, std::chrono::seconds(2), foo{8, "eight"})
            .receive([](std::string& r) { say("client: request with foo answered: ", r); },
                     [&](error& e) { say("client: request with foo failed: ", sys.render(e)); });
        // a second companion's handle travels inside a message
        mqueue q2;
        auto other = sys.spawn<actor_companion>();
        auto other_c = static_cast<actor_companion*>(actor_cast<abstract_actor*>(other));
        other_c->on_enqueue([&](mailbox_element_ptr x) { q2.push(std::move(x)); });
        send_as(me, s, std::string("handle inside"), other);
        if (auto x = q2.pop(2000ms))
            say("client: second companion got ", x->content().stringify(), " from ",
                to_string(x->sender));
        else
            say("client: second companion got nothing");
        scoped_execution_unit ctx2{&sys};
        other_c->cleanup(make_error(exit_reason::normal), &ctx2);
        std::this_thread::sleep_for(300ms);
    }
    scoped_execution_unit ctx{&sys};
    comp->cleanup(make_error(exit_reason::user_shutdown), &ctx);
    me = nullptr;
    sysx.reset();
    say(cfg.mode, " done");
}
