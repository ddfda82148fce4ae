// caf_endpoint: a coronet process published as a plain CAF 0.17 actor (see
// docs/caf017/FINDINGS.md §1, §7 for the CAF facts used here).
//
// The endpoint has its own actor_system (CAF's default application id, so
// that plain CAF programs connect) and one actor_companion, published on
// the port. The companion's enqueue handler runs on CAF's network thread
// (middleman.workers = 0): it turns each CAF message into a caf_request and
// sends it to the target process. Where the answer goes (the CAF sender,
// its message id, the forwarding stages) waits in a table shared with the
// tokens (caf_core); caf_reply takes it out and answers the way
// response_promise::deliver does, from any thread. The last token of an
// unanswered request answers with an error when it goes, so a request
// never hangs on coronet's side.
//
// Lifetime: tokens may outlive the endpoint; caf_core holds no CAF object
// once the endpoint has closed it, and CAF objects are only touched under
// its mutex, so nothing of CAF is used after the actor_system is gone.

#include "coronet/net/caf_endpoint.hpp"

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "coronet/runtime.hpp"

namespace coronet::net {

namespace detail {

/// Where the answer to one CAF message goes.
struct caf_waiting {
    caf::strong_actor_ptr sender;
    caf::message_id mid;
    caf::mailbox_element::forwarding_stack stages;
};

/// Answers like response_promise::deliver, from `self`: through the
/// forwarding stages if any, else to the sender (a response for a request,
/// an ordinary message otherwise).
void send_answer(const caf::strong_actor_ptr& self, caf_waiting& w, caf::message msg) {
    if (!w.stages.empty()) {
        auto next = std::move(w.stages.back());
        w.stages.pop_back();
        next->enqueue(caf::make_mailbox_element(std::move(w.sender), w.mid, std::move(w.stages),
                                                std::move(msg)),
                      nullptr);
    } else if (w.sender) {
        w.sender->enqueue(self, w.mid.response_id(), std::move(msg), nullptr);
    }
}

/// What an endpoint shares with its tokens. Every CAF object in here is
/// used under `m` only, and `close` leaves none behind.
struct caf_core {
    std::mutex m;
    bool closed = false;
    caf::strong_actor_ptr self;  ///< the companion: the sender of answers
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, caf_waiting> waiting;
    std::vector<caf::node_id> nodes;  ///< every CAF node that sent us something

    /// Answers `id`: false when it waits no more (answered, or closed).
    bool answer(std::uint64_t id, caf::message msg) {
        const std::lock_guard lock(m);
        const auto it = waiting.find(id);
        if (closed || it == waiting.end()) return false;
        caf_waiting w = std::move(it->second);
        waiting.erase(it);
        send_answer(self, w, std::move(msg));
        return true;
    }

    /// The last token of `id` is gone: a request still unanswered gets
    /// its error now.
    void drop(std::uint64_t id) {
        const std::lock_guard lock(m);
        const auto it = waiting.find(id);
        if (closed || it == waiting.end()) return;
        caf_waiting w = std::move(it->second);
        waiting.erase(it);
        if (w.mid.is_request())
            send_answer(self, w,
                        caf::make_message(caf::make_error(
                            caf::sec::request_receiver_down,
                            "the coronet process ended or dropped the request unanswered")));
    }
};

/// The state a caf_reply_token shares among its copies.
struct caf_pending {
    std::shared_ptr<caf_core> core;
    std::uint64_t id = 0;  ///< 0: no one to answer (an anon_send)
    bool request = false;

    caf_pending(std::shared_ptr<caf_core> c, std::uint64_t i, bool r)
        : core(std::move(c)), id(i), request(r) {}
    caf_pending(const caf_pending&) = delete;
    caf_pending& operator=(const caf_pending&) = delete;
    ~caf_pending() {
        if (id == 0) return;
        try {
            core->drop(id);
        } catch (...) {  // (out of memory: the client's own timeout remains)
        }
    }
};

}  // namespace detail

namespace {

void log_line(const std::string& what) {
    std::fprintf(stderr, "coronet caf_endpoint: %s\n", what.c_str());
}

bool is_loopback(const std::string& host) {
    return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

bool valid_atom(const std::string& s) {
    if (s.size() > 10) return false;
    for (const char c : s) {
        const bool ok =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!ok) return false;
    }
    return true;
}

/// Element `i` of `c` as a caf_value; nullopt for a type coronet does not carry.
std::optional<caf_value> from_caf(const caf::type_erased_tuple& c, std::size_t i) {
    if (c.match_element<caf::atom_value>(i))
        return caf_atom{caf::to_string(c.get_as<caf::atom_value>(i))};
    if (c.match_element<std::string>(i)) return c.get_as<std::string>(i);
    if (c.match_element<bool>(i)) return c.get_as<bool>(i);
    if (c.match_element<std::int32_t>(i)) return c.get_as<std::int32_t>(i);
    if (c.match_element<std::int64_t>(i)) return c.get_as<std::int64_t>(i);
    if (c.match_element<std::uint64_t>(i)) return c.get_as<std::uint64_t>(i);
    if (c.match_element<double>(i)) return c.get_as<double>(i);
    if (c.match_element<float>(i)) return double{c.get_as<float>(i)};
    if (c.match_element<std::int8_t>(i)) return std::int32_t{c.get_as<std::int8_t>(i)};
    if (c.match_element<std::int16_t>(i)) return std::int32_t{c.get_as<std::int16_t>(i)};
    if (c.match_element<std::uint8_t>(i)) return std::int32_t{c.get_as<std::uint8_t>(i)};
    if (c.match_element<std::uint16_t>(i)) return std::int32_t{c.get_as<std::uint16_t>(i)};
    if (c.match_element<std::uint32_t>(i)) return std::int64_t{c.get_as<std::uint32_t>(i)};
    return std::nullopt;
}

/// All of `c`, or the reason it cannot be carried (in *why).
std::optional<caf_values> from_caf(const caf::type_erased_tuple& c, std::string* why) {
    if (c.size() == 0) {
        *why = "an empty message (what the receiver gets for a type it does not know)";
        return std::nullopt;
    }
    caf_values out;
    out.reserve(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto v = from_caf(c, i);
        if (!v) {
            *why = "element " + std::to_string(i) + " of " + c.stringify() +
                   " has a type coronet does not carry";
            return std::nullopt;
        }
        out.push_back(std::move(*v));
    }
    return out;
}

caf::message to_caf(caf_values values) {
    caf::message_builder b;
    for (caf_value& v : values) {
        std::visit(
            [&b](auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, caf_atom>) {
                    if (!valid_atom(x.name))
                        throw std::invalid_argument(
                            "coronet caf_reply: \"" + x.name +
                            "\" is not a CAF 0.17 atom (at most 10 of [0-9A-Za-z_])");
                    b.append(caf::atom_from_string(x.name));
                } else {
                    b.append(std::move(x));
                }
            },
            v);
    }
    return b.move_to_message();
}

/// CAF's settings: the enqueue handler on the network thread (no hop),
/// and CAF's default application id (plain CAF programs connect).
struct endpoint_config : caf::actor_system_config {
    endpoint_config() {
        load<caf::io::middleman>();
        set("scheduler.policy", caf::atom("sharing"));
        set("scheduler.max-threads", std::size_t{1});
        set("scheduler.max-throughput", std::size_t{100});
        set("middleman.workers", std::size_t{0});
        set("logger.verbosity", caf::atom("quiet"));
    }
};

}  // namespace

// ---------------------------------------------------------------- values, tokens

std::optional<std::int64_t> caf_integer(const caf_value& v) noexcept {
    if (const auto* i = std::get_if<std::int32_t>(&v)) return *i;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* u = std::get_if<std::uint64_t>(&v))
        if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

std::string to_string(const caf_values& values) {
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) os << ", ";
        std::visit(
            [&os](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, caf_atom>)
                    os << '\'' << x.name << '\'';
                else if constexpr (std::is_same_v<T, std::string>)
                    os << '"' << x << '"';
                else if constexpr (std::is_same_v<T, bool>)
                    os << (x ? "true" : "false");
                else
                    os << x;
            },
            values[i]);
    }
    os << ')';
    return os.str();
}

caf_reply_token::caf_reply_token(std::shared_ptr<detail::caf_pending> p) noexcept
    : p_(std::move(p)) {}

bool caf_reply_token::is_request() const noexcept {
    return p_ && p_->request;
}

bool caf_reply(const caf_reply_token& to, caf_values values) {
    const auto& p = to.p_;
    if (!p || p->id == 0) return false;
    return p->core->answer(p->id, to_caf(std::move(values)));
}

bool caf_reply_error(const caf_reply_token& to, std::string why) {
    const auto& p = to.p_;
    if (!p || p->id == 0) return false;
    return p->core->answer(
        p->id, caf::make_message(caf::make_error(caf::sec::runtime_error, std::move(why))));
}

// ---------------------------------------------------------------- the endpoint

struct caf_endpoint::impl {
    runtime& rt;
    pid target;
    endpoint_config cfg;
    caf::actor_system sys;
    caf::actor companion_handle;
    caf::actor_companion* companion = nullptr;
    std::shared_ptr<detail::caf_core> core = std::make_shared<detail::caf_core>();
    std::uint16_t port = 0;
    std::thread::id creator = std::this_thread::get_id();

    impl(runtime& r, pid t) : rt(r), target(t), sys(cfg) {}
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() = default;

    /// Answers a message that never made it into the table (CAF's network
    /// thread, before cleanup: the companion is alive).
    void answer_now(caf::mailbox_element& x, caf::error e) {
        detail::caf_waiting w{std::move(x.sender), x.mid, std::move(x.stages)};
        detail::send_answer(caf::actor_cast<caf::strong_actor_ptr>(companion_handle), w,
                            caf::make_message(std::move(e)));
    }

    /// Registers where the answer to `x` goes; null once closed.
    std::shared_ptr<detail::caf_pending> open(caf::mailbox_element& x) {
        const bool request = x.mid.is_request();
        std::uint64_t id = 0;
        {
            const std::lock_guard lock(core->m);
            if (x.sender) {
                const caf::node_id& n = x.sender->node();
                if (std::find(core->nodes.begin(), core->nodes.end(), n) == core->nodes.end())
                    core->nodes.push_back(n);
            }
            if (core->closed) return nullptr;
            if (x.sender || !x.stages.empty()) {
                id = core->next_id++;
                core->waiting.emplace(
                    id, detail::caf_waiting{std::move(x.sender), x.mid, std::move(x.stages)});
            }
        }
        return std::make_shared<detail::caf_pending>(core, id, request);
    }

    // The companion's mailbox: CAF's network thread. Never throws into CAF.
    void on_message(caf::mailbox_element& x) {
        try {
            auto& c = x.content();
            if (x.mid.is_response() || c.match_elements<caf::exit_msg>() ||
                c.match_elements<caf::down_msg>())
                return;  // (we ask nothing, monitor nothing; a link's exit does not end us)
            std::string why;
            std::optional<caf_values> args = from_caf(c, &why);
            if (!args) {
                log_line("refused " + std::string(x.mid.is_request() ? "a request" : "a message") +
                         ": " + why);
                if (x.mid.is_request())
                    answer_now(x, caf::make_error(caf::sec::unexpected_message, std::move(why)));
                return;
            }
            auto pending = open(x);
            if (!pending) {
                if (x.mid.is_request())
                    answer_now(x, caf::make_error(caf::sec::request_receiver_down,
                                                  "the coronet endpoint is closing"));
                return;
            }
            // (a target that has ended makes this a dead letter: the token
            // goes with it, and a request gets its error from ~caf_pending)
            rt.send(target, caf_request{std::move(*args), caf_reply_token(std::move(pending))});
        } catch (const std::exception& e) {
            log_line(std::string("dropped a message: ") + e.what());
        } catch (...) {
            log_line("dropped a message: a non-standard exception");
        }
    }

    /// Every CAF request still waiting gets its error; the core forgets CAF.
    void close_core() {
        const std::lock_guard lock(core->m);
        core->closed = true;
        for (auto& [id, w] : core->waiting)
            if (w.mid.is_request())
                detail::send_answer(
                    core->self, w,
                    caf::make_message(caf::make_error(caf::sec::request_receiver_down,
                                                      "the coronet endpoint closed")));
        core->waiting.clear();
        core->self = nullptr;
    }

    /// A round trip to each node in `nodes`, behind what was sent to it:
    /// CAF drops what is still queued when the actor_system goes. (A
    /// request to the node's "ConfigServ" through the BASP broker, the way
    /// middleman::remote_lookup does it; any answer, even an error, comes
    /// back on the same connection after everything sent before.)
    void flush(const std::vector<caf::node_id>& nodes) {
        if (nodes.empty()) return;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        const caf::actor basp =
            sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
        caf::scoped_actor self{sys, true};
        for (const caf::node_id& n : nodes) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            self->request(basp, left, caf::forward_atom::value, n, caf::atom("ConfigServ"),
                          caf::make_message(caf::get_atom::value, caf::atom("coronet")))
                .receive([](const caf::strong_actor_ptr&) {},
                         [&](const caf::error& e) {
                             if (e == caf::sec::request_timeout)
                                 log_line("no round trip with a CAF node before closing: " +
                                          sys.render(e));
                         });
        }
    }
};

std::unique_ptr<caf_endpoint> caf_endpoint::publish(runtime& rt, pid target,
                                                    caf_endpoint_options options) {
    if (!is_loopback(options.listen_host) && !options.allow_plaintext)
        throw std::system_error(
            std::make_error_code(std::errc::operation_not_permitted),
            "coronet caf_endpoint: CAF's protocol is plain text; listening on " +
                options.listen_host + " needs allow_plaintext");
    if (rt.virtual_clock())
        throw std::invalid_argument(
            "coronet caf_endpoint: a runtime on the virtual clock cannot serve CAF (the network "
            "runs in real time)");
    if (!target || target.node != rt.node_id())
        throw std::invalid_argument("coronet caf_endpoint: the target must be a process of rt");
    auto p = std::make_unique<impl>(rt, target);
    p->companion_handle = p->sys.spawn<caf::actor_companion>();
    p->companion = static_cast<caf::actor_companion*>(
        caf::actor_cast<caf::abstract_actor*>(p->companion_handle));
    p->core->self = caf::actor_cast<caf::strong_actor_ptr>(p->companion_handle);
    impl* self = p.get();
    p->companion->on_enqueue([self](caf::mailbox_element_ptr x) {
        if (x) self->on_message(*x);
    });
    const char* host = options.listen_host.empty() ? nullptr : options.listen_host.c_str();
    auto port = p->sys.middleman().publish(p->companion_handle, options.port, host, true);
    if (!port) {
        const std::string why = p->sys.render(port.error());
        p->close_core();
        p->companion->cleanup(caf::make_error(caf::exit_reason::user_shutdown), nullptr);
        p->companion_handle = nullptr;
        throw std::system_error(std::make_error_code(std::errc::address_in_use),
                                "coronet caf_endpoint: cannot listen: " + why);
    }
    p->port = *port;
    return std::unique_ptr<caf_endpoint>(new caf_endpoint(std::move(p)));
}

caf_endpoint::caf_endpoint(std::unique_ptr<impl> p) noexcept : p_(std::move(p)) {}

caf_endpoint::~caf_endpoint() {
    if (std::this_thread::get_id() != p_->creator)
        log_line("destroyed on another thread than the one that published it: CAF 0.17 may hang");
    // The order matters: answers first (the companion still sends them),
    // then cleanup (afterwards the enqueue handler never runs again, and
    // only cleanup lets ~actor_system end), then the round trips, then
    // the system goes, on this thread (docs/caf017/FINDINGS.md §1, §9).
    p_->close_core();
    p_->companion->cleanup(caf::make_error(caf::exit_reason::user_shutdown), nullptr);
    std::vector<caf::node_id> nodes;
    {
        const std::lock_guard lock(p_->core->m);
        nodes = std::move(p_->core->nodes);
        p_->core->nodes.clear();
    }
    p_->flush(nodes);
    p_->companion_handle = nullptr;
}

std::uint16_t caf_endpoint::port() const noexcept {
    return p_->port;
}

pid caf_endpoint::target() const noexcept {
    return p_->target;
}

}  // namespace coronet::net
