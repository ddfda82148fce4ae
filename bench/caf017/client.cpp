// Client side of the prototypes.
//   --mode=interop   plain CAF: remote_actor + request(...).receive(...)
//   --mode=rawping   plain CAF baseline: event_based actor ping-pong vs rawecho
//   --mode=compping  companion + our queue + send_as from the main thread
//   --mode=blast     --threads=T non-CAF threads each send --n messages with
//                    send_as (or anon_send with --stop=anon) then quit
#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <vector>

using namespace caf;

namespace {

void report(const char* what, std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    auto mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    say(what, ": n=", v.size(), " mean_us=", mean, " p50_us=", v[v.size() / 2],
        " p99_us=", v[v.size() * 99 / 100], " max_us=", v.back());
}

actor connect(actor_system& sys, proto_config& cfg) {
    auto t0 = clk::now();
    auto r = cfg.tls ? openssl::remote_actor(sys, cfg.host, cfg.port)
                     : sys.middleman().remote_actor(cfg.host, cfg.port);
    if (!r) {
        say("remote_actor failed after ", us_since(t0) / 1000, " ms: ", sys.render(r.error()));
        return nullptr;
    }
    say("remote_actor ok in ", us_since(t0) / 1000, " ms: ", to_string(*r));
    return *r;
}

int interop(actor_system& sys, actor server) {
    scoped_actor self{sys};
    auto on_err = [&](error& e) { say("error ", sys.render(e)); };
    auto t = std::chrono::seconds(3);
    self->request(server, t, atom("add"), int32_t{2}, int32_t{40})
        .receive([](int32_t r) { say("add -> ", r); }, on_err);
    self->request(server, t, std::string("hello"))
        .receive([](std::string& r) { say("string -> ", r); }, on_err);
    self->request(server, t, atom("ping"))
        .receive([](atom_value a, std::string& s) { say("ping -> ", to_string(a), " ", s); },
                 on_err);
    self->request(server, t, int64_t{21}).receive([](int64_t r) { say("int64 -> ", r); }, on_err);
    // not understood by the server: must still complete (with an error)
    self->request(server, t, 3.5).receive([](double) { say("double -> ?"); }, on_err);
    // a handler of the wrong type: CAF reports unexpected_response
    self->request(server, t, std::string("x"))
        .receive([](int32_t) { say("wrong handler called?"); }, on_err);
    self->send(server, std::string("async, no reply expected"));
    self->send(server, atom("quit"));
    return 0;
}

int rawping(actor_system& sys, actor server, proto_config& cfg) {
    std::vector<double> rtts;
    rtts.reserve(cfg.n);
    {
        auto payload = std::vector<char>(cfg.size, 'x');
        auto n = cfg.n;
        auto pinger = sys.spawn([&, server, payload, n](event_based_actor* self) -> behavior {
            auto t = std::make_shared<clk::time_point>(clk::now());
            self->send(server, uint64_t{0}, payload);
            return {
                [=, &rtts](uint64_t i, std::vector<char>& p) {
                    rtts.push_back(us_since(*t));
                    if (i + 1 == n) {
                        self->quit();
                        return;
                    }
                    *t = clk::now();
                    self->send(server, i + 1, std::move(p));
                },
            };
        });
        scoped_actor self{sys};
        self->wait_for(pinger);
    }
    rtts.erase(rtts.begin(), rtts.begin() + std::min<size_t>(100, rtts.size() / 10));
    report("raw CAF ping-pong RTT", rtts);
    return 0;
}

actor_companion* make_companion(actor_system& sys, actor& handle, mqueue& q) {
    handle = sys.spawn<actor_companion>();
    auto comp = static_cast<actor_companion*>(actor_cast<abstract_actor*>(handle));
    comp->on_enqueue([&q](mailbox_element_ptr x) { q.push(std::move(x)); });
    return comp;
}

void stop_companion(actor_system& sys, actor_companion* comp) {
    scoped_execution_unit ctx{&sys};
    comp->cleanup(make_error(exit_reason::user_shutdown), &ctx);
}

int compping(actor_system& sys, actor server, proto_config& cfg) {
    mqueue q;
    actor me;
    auto comp = make_companion(sys, me, q);
    std::vector<double> rtts;
    auto payload = std::vector<char>(cfg.size, 'x');
    for (uint64_t i = 0; i < cfg.n; ++i) {
        auto t0 = clk::now();
        send_as(me, server, i, payload);
        auto x = q.pop(3000ms);
        if (!x) {
            say("compping: no reply for ", i);
            break;
        }
        rtts.push_back(us_since(t0));
        if (!x->content().match_elements<uint64_t, std::vector<char>>() ||
            x->content().get_as<uint64_t>(0) != i)
            say("compping: unexpected reply ", x->content().stringify());
    }
    send_as(me, server, atom("quit"));
    rtts.erase(rtts.begin(), rtts.begin() + std::min<size_t>(100, rtts.size() / 10));
    report("companion ping-pong RTT", rtts);
    std::this_thread::sleep_for(100ms);
    stop_companion(sys, comp);
    return 0;
}

// A companion issuing CAF requests with its own request numbers to a plain
// CAF actor (rawecho): the response comes back through on_enqueue.
int compreq(actor_system& sys, actor server) {
    mqueue q;
    actor me;
    auto comp = make_companion(sys, me, q);
    auto self = actor_cast<strong_actor_ptr>(me);
    for (uint64_t id : {5, 6}) {
        server->enqueue(make_mailbox_element(self, make_message_id(id), {},
                                             std::string("req#") + std::to_string(id)),
                        nullptr);
    }
    // and one the server does not understand
    server->enqueue(make_mailbox_element(self, make_message_id(7), {}, 3.25), nullptr);
    for (int i = 0; i < 3; ++i) {
        auto x = q.pop(2000ms);
        if (!x) {
            say("compreq: no response");
            break;
        }
        say("compreq: got ", x->content().stringify(), " is_response=", x->mid.is_response(),
            " request_number=", x->mid.request_id().integer_value());
    }
    stop_companion(sys, comp);
    return 0;
}

// Raw CAF baseline for one-way throughput: an event_based actor sends.
int rawblast(actor_system& sys, actor server, proto_config& cfg) {
    auto t0 = clk::now();
    auto n = cfg.n;
    auto size = cfg.size;
    auto sender = sys.spawn([=](event_based_actor* self) {
        std::vector<char> payload(size, 'x');
        for (uint64_t i = 0; i < n; ++i) self->send(server, uint64_t{0}, i, payload);
        self->send(server, atom("quit"));
    });
    scoped_actor self{sys};
    self->wait_for(sender);
    say("rawblast: ", n, " sent by an actor in ", us_since(t0) / 1e6, " s, rss_kb=", rss_kb());
    std::this_thread::sleep_for(4s);
    say("  +4000 ms rss_kb=", rss_kb(), " hwm_kb=", hwm_kb());
    return 0;
}

int blast(actor_system& sys, actor server, proto_config& cfg) {
    mqueue q;
    actor me;
    auto comp = make_companion(sys, me, q);
    bool anon = cfg.stop == "anon";
    auto t0 = clk::now();
    std::vector<std::thread> ts;
    std::atomic<long> max_rss{0};
    for (uint64_t t = 0; t < cfg.threads; ++t)
        ts.emplace_back([&, t] {
            auto payload = std::vector<char>(cfg.size, 'x');
            for (uint64_t i = 0; i < cfg.n; ++i) {
                if (anon)
                    anon_send(server, t, i, payload);
                else
                    send_as(me, server, t, i, payload);
                if (t == 0 && i % 100000 == 0) {
                    auto r = rss_kb();
                    if (r > max_rss) max_rss = r;
                }
            }
        });
    for (auto& t : ts) t.join();
    auto secs = us_since(t0) / 1e6;
    say("blast: ", cfg.threads, "x", cfg.n, " sent in ", secs, " s (", cfg.threads * cfg.n / secs,
        " msg/s enqueue rate) rss_kb=", rss_kb(), " max_rss_kb_during=", max_rss.load());
    send_as(me, server, atom("quit"));
    // watch our RSS while CAF drains the outbound buffer
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(500ms);
        say("  +", (i + 1) * 500, " ms rss_kb=", rss_kb(), " hwm_kb=", hwm_kb());
    }
    stop_companion(sys, comp);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    proto_config cfg;
    if (auto rc = parse_or_exit(cfg, argc, argv)) return rc == 2 ? 0 : rc;
    std::thread([s = cfg.seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(s));
        say("client TIMEOUT/HANG after ", s, " s");
        std::_Exit(3);
    }).detach();
    int rc = 1;
    {
        actor_system sys{cfg};
        auto server = connect(sys, cfg);
        if (server) {
            if (cfg.mode == "interop")
                rc = interop(sys, server);
            else if (cfg.mode == "rawping")
                rc = rawping(sys, server, cfg);
            else if (cfg.mode == "compping")
                rc = compping(sys, server, cfg);
            else if (cfg.mode == "rawblast")
                rc = rawblast(sys, server, cfg);
            else if (cfg.mode == "compreq")
                rc = compreq(sys, server);
            else if (cfg.mode == "blast")
                rc = blast(sys, server, cfg);
        }
        auto t = clk::now();
        server = nullptr;
        std::this_thread::sleep_for(1ms);
        (void)t;
    }
    say("client done");
    return rc;
}
