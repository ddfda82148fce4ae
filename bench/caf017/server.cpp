// The "coronet side": an actor_companion published on 127.0.0.1:0 whose
// enqueue handler pushes into our own queue; a plain thread (main) consumes.
//   --mode=echo     reply every message (request -> response id, else async)
//   --mode=interop  print what a plain CAF client sends, answer requests
//   --mode=count    count (thread, seq) messages, check per-thread order
//   --mode=slow     like count but 1 ms per message (memory growth test)
//   --mode=rawecho  publish a plain event_based actor instead (baseline)
//   --stop=none|cleanup|disconnect|exit|unpublish_only  how to end the companion
//   --create=spawn|make_actor
#include "common.hpp"

#include <atomic>
#include <csignal>
#include <map>
#include <set>

#include <dirent.h>
#include <sys/socket.h>

using namespace caf;

namespace {

std::atomic<bool> destroying{false};

void watchdog(int secs) {
    std::thread([secs] {
        std::this_thread::sleep_for(std::chrono::seconds(secs));
        say(destroying ? "HANG in shutdown" : "TIMEOUT", " after ", secs, " s");
        std::_Exit(3);
    }).detach();
}

std::string describe(mailbox_element& x) {
    std::ostringstream os;
    auto& c = x.content();
    os << "types=[";
    for (size_t i = 0; i < c.size(); ++i) {
        auto t = c.type(i);
        os << (i ? "," : "") << "nr" << t.first << ":" << (t.second ? t.second->name() : "builtin");
    }
    os << "] value=" << c.stringify() << " mid=" << to_string(x.mid)
       << " request=" << x.mid.is_request() << " sender="
       << (x.sender ? std::to_string(x.sender->id()) + "@" + to_string(x.sender->node())
                    : std::string("null"));
    return os.str();
}

message answer_interop(mailbox_element& x) {
    auto msg = x.move_content_to_message();
    message result;
    msg.apply({
        [&](atom_value a, int32_t i, int32_t j) {
            if (a == atom("add"))
                result = make_message(i + j);
            else
                result = make_message(make_error(sec::unexpected_message));
        },
        [&](const std::string& s) { result = make_message(std::string(s.rbegin(), s.rend())); },
        [&](atom_value a) { result = make_message(atom("pong"), to_string(a)); },
        [&](int64_t v) { result = make_message(v * 2); },
    });
    if (result.empty()) result = make_message(make_error(sec::unexpected_message));
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    proto_config cfg;
    auto& create = cfg.create;
    if (auto rc = parse_or_exit(cfg, argc, argv)) return rc == 2 ? 0 : rc;
    watchdog(cfg.seconds);
    say("server pid ", getpid(), " main thread ", thread_name());
    auto t_sys = clk::now();
    std::optional<actor_system> sys_storage;
    sys_storage.emplace(cfg);
    auto& sys = *sys_storage;
    say("actor_system up in ", us_since(t_sys), " us, node ", to_string(sys.node()));
    mqueue q;
    actor handle;
    actor_companion* comp = nullptr;
    if (cfg.mode == "rawecho") {
        handle = sys.spawn([](event_based_actor* self) -> behavior {
            return {
                [](std::string& s) { return std::move(s); },
                [](std::vector<char>& s) { return std::move(s); },
                [=](uint64_t i, std::vector<char>& s) {
                    // async echo (not a request): send back to sender
                    self->send(actor_cast<actor>(self->current_sender()), i, std::move(s));
                },
            };
        });
    } else {
        if (create == "make_actor") {
            actor_config acfg;
            handle =
                make_actor<actor_companion, actor>(sys.next_actor_id(), sys.node(), &sys, acfg);
        } else {
            handle = sys.spawn<actor_companion>();
        }
        comp = static_cast<actor_companion*>(actor_cast<abstract_actor*>(handle));
        comp->on_exit([] { say("companion on_exit callback on ", thread_name()); });
    }
    auto self_ptr = actor_cast<strong_actor_ptr>(handle);
    // in == nullptr binds every interface (env PUBLISH_ANY probes that)
    const char* in = getenv("PUBLISH_ANY") ? nullptr : "127.0.0.1";
    expected<uint16_t> port = cfg.tls ? openssl::publish(handle, cfg.port, in)
                                      : sys.middleman().publish(handle, cfg.port, in);
    if (!port) {
        say("publish failed: ", sys.render(port.error()));
        return 1;
    }
    say("PORT ", *port);
    if (cfg.mode == "rawecho") {
        std::this_thread::sleep_for(std::chrono::seconds(cfg.seconds - 2));
        anon_send_exit(handle, exit_reason::user_shutdown);  // else ~actor_system waits forever
    } else {
        std::set<std::string> threads_seen;
        std::map<uint64_t, uint64_t> next_seq;  // per sender thread
        size_t count = 0, order_errors = 0, nulls = 0;
        clk::time_point first;
        auto deadline = clk::now() + std::chrono::seconds(cfg.seconds - 3);
        bool done = false;
        // Records the thread on which the handler runs (once per thread).
        comp->on_enqueue([&q, &threads_seen](mailbox_element_ptr x) {
            static thread_local bool seen = false;
            if (!seen) {
                seen = true;
                say("on_enqueue runs on thread ", thread_name());
                // probe: what a blocking enqueue handler does to the node
                if (auto b = getenv("BLOCK_MS"))
                    std::this_thread::sleep_for(std::chrono::milliseconds(atol(b)));
            }
            q.push(std::move(x));
        });
        (void)threads_seen;
        auto next_progress = clk::now() + 2s;
        while (!done && clk::now() < deadline) {
            if ((cfg.mode == "slow" || cfg.mode == "count") && count > 0 &&
                clk::now() > next_progress) {
                next_progress += 2s;
                say("  progress: consumed=", count, " queued=", q.size(), " rss_kb=", rss_kb());
            }
            auto x = q.pop(500ms);
            if (!x) continue;
            auto& c = x->content();
            if (cfg.mode == "echo") {
                if (c.match_elements<atom_value>() && c.get_as<atom_value>(0) == atom("quit")) {
                    done = true;
                    continue;
                }
                if (x->mid.is_request()) {
                    reply_to(self_ptr, *x, x->move_content_to_message());
                } else if (x->sender) {
                    x->sender->enqueue(self_ptr, make_message_id(), x->move_content_to_message(),
                                       nullptr);
                }
            } else if (cfg.mode == "sink") {
                // never replies (holds requests forever)
            } else if (cfg.mode == "interop") {
                say("got ", describe(*x));
                if (c.match_elements<atom_value>() && c.get_as<atom_value>(0) == atom("quit"))
                    done = true;
                if (x->mid.is_request()) reply_to(self_ptr, *x, answer_interop(*x));
            } else if (cfg.mode == "count" || cfg.mode == "slow") {
                if (count == 0) first = clk::now();
                if (cfg.mode == "slow") std::this_thread::sleep_for(1ms);
                if (c.match_elements<uint64_t, uint64_t, std::vector<char>>()) {
                    auto th = c.get_as<uint64_t>(0), seq = c.get_as<uint64_t>(1);
                    if (next_seq[th] != seq) ++order_errors;
                    next_seq[th] = seq + 1;
                    if (!x->sender) ++nulls;
                    ++count;
                    if (count == 1) say("first count message: ", describe(*x));
                } else if (c.match_elements<atom_value>() &&
                           c.get_as<atom_value>(0) == atom("quit")) {
                    auto secs = us_since(first) / 1e6;
                    say("count=", count, " order_errors=", order_errors, " null_senders=", nulls,
                        " secs=", secs, " rate=", count / secs, " msg/s rss_kb=", rss_kb(),
                        " hwm_kb=", hwm_kb());
                    done = true;
                } else {
                    say("other: ", describe(*x));
                }
            }
        }
        if (!done)
            say("deadline reached, count=", count, " qsize=", q.size(), " rss_kb=", rss_kb());
    }
    // ---- shutdown ----
    auto t0 = clk::now();
    destroying = true;
    if (comp) {
        if (cfg.stop == "cleanup") {
            scoped_execution_unit ctx{&sys};
            comp->cleanup(make_error(exit_reason::user_shutdown), &ctx);
        } else if (cfg.stop == "disconnect") {
#ifdef TRY_DISCONNECT  // declared in actor_companion.hpp, NOT defined in libcaf_core 0.17.6: link
                       // error
            comp->disconnect(exit_reason::user_shutdown);
#endif
        } else if (cfg.stop == "cleanup_custom") {
            // our own error category travels as (code, atom category, context)
            comp->cleanup(error{uint8_t{7}, atom("coronet"), make_message(std::string("crashed"))},
                          nullptr);
        } else if (cfg.stop == "cleanup_null") {
            comp->cleanup(make_error(exit_reason::user_shutdown), nullptr);
        } else if (cfg.stop == "exit") {
            anon_send_exit(handle, exit_reason::user_shutdown);
        } else if (cfg.stop == "unpublish_cleanup") {
            // caf/openssl/unpublish.hpp does not compile in 0.17.6 (uses 0.18 names)
            auto r = sys.middleman().unpublish(handle, 0);
            say("unpublish: ", r ? "ok" : sys.render(r.error()));
            comp->cleanup(make_error(exit_reason::user_shutdown), nullptr);
        } else if (cfg.stop == "unpublish_only") {
            auto r = sys.middleman().unpublish(handle, 0);
            say("unpublish: ", r ? "ok" : sys.render(r.error()));
        }
    }
    if (getenv("SHUTDOWN_FDS")) {
        // Workaround probe: shut down every connected TCP socket of the process
        // so that CAF's multiplexer sees EOF on half-handshaked TLS connections.
        int n = 0;
        if (auto d = opendir("/proc/self/fd")) {
            while (auto e = readdir(d)) {
                int fd = atoi(e->d_name);
                int type = 0, listening = 0;
                socklen_t len = sizeof type;
                if (fd > 2 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
                    type == SOCK_STREAM) {
                    len = sizeof listening;
                    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
                    if (!listening && ::shutdown(fd, SHUT_RDWR) == 0) ++n;
                }
            }
            closedir(d);
        }
        say("shut down ", n, " connected sockets");
    }
    say("stop=", cfg.stop, " step took ", us_since(t0),
        " us; registry running=", sys.registry().running());
    handle = nullptr;
    self_ptr = nullptr;
    auto t1 = clk::now();
    sys_storage.reset();
    say("~actor_system took ", us_since(t1) / 1000, " ms");
    return 0;
}
