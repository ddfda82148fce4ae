// A coronet process published as a CAF actor (caf_endpoint.hpp), talked to
// by a plain CAF 0.17 client written with CAF's own API only: its own
// actor_system with CAF's default settings, middleman().remote_actor,
// scoped_actor with request(...).receive(...) and send. Both run in this
// program over loopback TCP (port 0). Real clock: tagged [net][caf]. Every
// CAF wait has a timeout; a test that gets an error checks that it is not
// request_timeout, so "no hang" is asserted, not assumed.

#include <coronet/net/caf_endpoint.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

namespace {

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

/// Tells the published process to answer the requests it holds, then end.
struct answer_held {};

std::optional<caf_atom> first_atom(const caf_request& r) {
    if (r.args.empty()) return std::nullopt;
    if (const auto* a = std::get_if<caf_atom>(&r.args[0])) return *a;
    return std::nullopt;
}

/// ('add', x, y...): int32 in, int32 out; any wider integer: int64.
void add(const caf_request& r) {
    std::int64_t sum = 0;
    bool all_int32 = true;
    for (std::size_t i = 1; i < r.args.size(); ++i) {
        const auto v = caf_integer(r.args[i]);
        if (!v) {
            caf_reply_error(r.from, "add: not an integer: " + to_string(r.args));
            return;
        }
        all_int32 = all_int32 && std::holds_alternative<std::int32_t>(r.args[i]);
        sum += *v;
    }
    if (all_int32)
        caf_reply(r.from, {static_cast<std::int32_t>(sum)});
    else
        caf_reply(r.from, {sum});
}

/// The published process: a small calculator. What it did goes into the
/// string it returns.
task<std::string> calculator() {
    std::string log;
    std::vector<std::string> notes;
    int note_replies = 0;
    std::vector<caf_reply_token> held;
    for (;;) {
        auto got = co_await self().receive_any(
            [](caf_request r) { return std::optional<caf_request>(std::move(r)); },
            [](answer_held) { return std::optional<caf_request>(); });
        if (!got) {  // answer_held
            for (const caf_reply_token& t : held)
                log +=
                    caf_reply(t, {caf_atom{"late"}}) ? "late reply sent; " : "late reply refused; ";
            co_return log;
        }
        caf_request& r = *got;
        const std::string op = first_atom(r) ? first_atom(r)->name : "";
        if (op == "add") {
            add(r);
        } else if (op == "reverse" && r.args.size() == 2 &&
                   std::holds_alternative<std::string>(r.args[1])) {
            std::string s = std::get<std::string>(r.args[1]);
            std::reverse(s.begin(), s.end());
            caf_reply(r.from, {std::move(s)});
        } else if (op == "ping") {
            caf_reply(r.from, {caf_atom{"pong"}});
        } else if (op == "echo") {
            caf_reply(r.from, caf_values(r.args.begin() + 1, r.args.end()));
        } else if (op == "note" && r.args.size() == 2) {
            notes.push_back(std::get<std::string>(r.args[1]));
            if (r.from.is_request()) log += "note came as a request (wrong); ";
            if (caf_reply(r.from, {caf_atom{"noted"}, static_cast<std::int32_t>(notes.size())}))
                ++note_replies;
        } else if (op == "notes") {
            std::string all;
            for (const std::string& n : notes) all += (all.empty() ? "" : ",") + n;
            caf_reply(r.from, {all, static_cast<std::int32_t>(note_replies)});
        } else if (op == "hold") {
            held.push_back(r.from);
        } else if (op == "drop") {
            // (the token goes at the end of this iteration, unanswered)
        } else if (op == "twice") {
            const bool one = caf_reply(r.from, {caf_atom{"one"}});
            const bool two = caf_reply(r.from, {caf_atom{"two"}});
            log += std::string("twice: ") + (one ? "sent" : "refused") + ", " +
                   (two ? "sent" : "refused") + "; ";
        } else if (op == "badatom") {
            try {
                caf_reply(r.from, {caf_atom{"far_too_long_for_caf"}});
                log += "bad atom sent (wrong); ";
            } catch (const std::invalid_argument&) {
                caf_reply(r.from, {caf_atom{"refused"}});
            }
        } else if (op == "quit") {
            caf_reply(r.from, {caf_atom{"bye"}});
            co_return log;  // (the held tokens go with the frame)
        } else {
            caf_reply_error(r.from, "unknown request " + to_string(r.args));
        }
    }
}

/// A runtime with the calculator published on 127.0.0.1, port 0. The
/// endpoint is made and destroyed on the test thread (CAF 0.17 needs it).
struct served {
    runtime rt{real_config(2)};
    handle<std::string> server = rt.spawn(calculator);
    std::unique_ptr<caf_endpoint> ep = caf_endpoint::publish(rt, server.id());
    std::promise<void> ran;
    std::future<void> ended = ran.get_future();
    std::thread runner{[this] {
        try {
            rt.run();
        } catch (...) {  // (value() rethrows it on the test thread)
        }
        ran.set_value();
    }};

    served() = default;
    served(const served&) = delete;
    served& operator=(const served&) = delete;
    ~served() {
        ep.reset();
        rt.cancel(server.id(), "test over");  // (ended already unless a check failed)
        if (runner.joinable()) runner.join();
    }

    /// The calculator's log once it has ended (cancelled, and an exception
    /// here, if it has not ended within 10 s).
    std::string result() {
        if (ended.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
            rt.cancel(server.id(), "the calculator did not end");
        runner.join();
        return server.value();
    }
};

/// A user type the CAF client never registers with CAF: CAF logs at the
/// sender that it cannot serialize it, and the receiver gets an empty
/// message (docs/caf017/FINDINGS.md §3).
struct client_only {
    std::int32_t x = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_only& c) {
    return f(caf::meta::type_name("client_only"), c.x);
}

/// A plain CAF 0.17 program: CAF's default configuration plus its middleman.
struct client_config : caf::actor_system_config {
    client_config() { load<caf::io::middleman>(); }
};

struct caf_client {
    client_config cfg;
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};

    caf::actor connect(std::uint16_t port) {
        auto srv = sys.middleman().remote_actor("127.0.0.1", port);
        INFO((srv ? std::string("connected") : sys.render(srv.error())));
        REQUIRE(srv);
        return *srv;
    }
    std::string render(const caf::error& e) { return "error: " + sys.render(e); }
};

constexpr auto timeout = std::chrono::seconds(10);

}  // namespace

TEST_CASE("caf: a plain CAF client's requests with atoms, integers and strings get the replies",
          "[net][caf]") {
    served s;
    caf_client c;
    const caf::actor srv = c.connect(s.ep->port());
    std::vector<std::string> got;
    auto on_error = [&](caf::error& e) { got.push_back(c.render(e)); };

    c.self->request(srv, timeout, caf::atom("add"), std::int32_t{2}, std::int32_t{40})
        .receive([&](std::int32_t r) { got.push_back("int32 " + std::to_string(r)); }, on_error);
    c.self->request(srv, timeout, caf::atom("add"), std::int64_t{1} << 40, std::int64_t{2})
        .receive([&](std::int64_t r) { got.push_back("int64 " + std::to_string(r)); }, on_error);
    c.self->request(srv, timeout, caf::atom("reverse"), std::string("hello"))
        .receive([&](const std::string& r) { got.push_back(r); }, on_error);
    c.self->request(srv, timeout, caf::atom("ping"))
        .receive([&](caf::atom_value a) { got.push_back("atom " + caf::to_string(a)); }, on_error);
    c.self->request(srv, timeout, caf::atom("echo"), true, 2.5, std::uint64_t{1} << 63, "text")
        .receive(
            [&](bool b, double d, std::uint64_t u, const std::string& t) {
                got.push_back("echo " + std::to_string(b) + " " + std::to_string(d) + " " +
                              std::to_string(u) + " " + t);
            },
            on_error);
    // The narrower integer types arrive widened (int32, or int64 for
    // uint32), float as double; the reply carries what the process has.
    c.self
        ->request(srv, timeout, caf::atom("echo"), std::int8_t{-5}, std::uint16_t{7},
                  std::uint32_t{4000000000u}, 1.5f)
        .receive(
            [&](std::int32_t a, std::int32_t b, std::int64_t u, double f) {
                got.push_back("widened " + std::to_string(a) + " " + std::to_string(b) + " " +
                              std::to_string(u) + " " + std::to_string(f));
            },
            on_error);
    c.self->request(srv, timeout, caf::atom("twice"))
        .receive([&](caf::atom_value a) { got.push_back("twice " + caf::to_string(a)); }, on_error);
    c.self->request(srv, timeout, caf::atom("badatom"))
        .receive([&](caf::atom_value a) { got.push_back("badatom " + caf::to_string(a)); },
                 on_error);
    c.self->request(srv, timeout, caf::atom("what"), std::int32_t{1})
        .receive(
            [&](caf::atom_value) { got.push_back("what: an answer (wrong)"); },
            [&](caf::error& e) {
                got.push_back(e == caf::sec::runtime_error ? "what: runtime_error" : c.render(e));
            });
    c.self->request(srv, timeout, caf::atom("quit"))
        .receive([&](caf::atom_value a) { got.push_back("quit " + caf::to_string(a)); }, on_error);

    CHECK(got == std::vector<std::string>{"int32 42", "int64 1099511627778", "olleh", "atom pong",
                                          "echo 1 2.500000 9223372036854775808 text",
                                          "widened -5 7 4000000000 1.500000", "twice one",
                                          "badatom refused", "what: runtime_error", "quit bye"});
    CHECK(s.result() == "twice: sent, refused; ");
}

TEST_CASE("caf: plain sends reach the process, and its replies to them come back as messages",
          "[net][caf]") {
    served s;
    caf_client c;
    const caf::actor srv = c.connect(s.ep->port());
    c.self->send(srv, caf::atom("note"), std::string("hello"));
    c.self->send(srv, caf::atom("note"), std::string("world"));
    caf::anon_send(srv, caf::atom("note"), std::string("anon"));  // no sender: no reply
    std::string notes = "no answer";
    // (the same sender's messages arrive in order: the notes are in first,
    // except the anonymous one, which comes from another path)
    c.self->request(srv, timeout, caf::atom("notes"))
        .receive([&](const std::string& all,
                     std::int32_t replies) { notes = all + " / " + std::to_string(replies); },
                 [&](caf::error& e) { notes = c.render(e); });
    CHECK((notes == "hello,world / 2" || notes == "hello,world,anon / 2" ||
           notes == "anon,hello,world / 2"));
    std::vector<std::string> replies;
    for (int i = 0; i < 2; ++i) {
        c.self->receive(
            [&](caf::atom_value a, std::int32_t n) {
                replies.push_back(caf::to_string(a) + " " + std::to_string(n));
            },
            caf::after(timeout) >> [&] { replies.push_back("nothing"); });
    }
    CHECK(replies == std::vector<std::string>{"noted 1", "noted 2"});
}

TEST_CASE(
    "caf: a message with a type coronet does not carry gets an error, and the endpoint serves on",
    "[net][caf]") {
    served s;
    caf_client c;
    const caf::actor srv = c.connect(s.ep->port());
    std::vector<std::string> got;
    auto on_error = [&](caf::error& e) {
        got.push_back(e == caf::sec::unexpected_message ? "unexpected_message" : c.render(e));
    };
    c.self->request(srv, timeout, caf::atom("add"), std::vector<char>{'4', '2'})
        .receive([&](std::int32_t) { got.push_back("an answer (wrong)"); }, on_error);
    c.self->request(srv, timeout, caf::atom("add"), client_only{7})
        .receive([&](std::int32_t) { got.push_back("an answer (wrong)"); }, on_error);
    c.self->send(srv, caf::atom("note"), std::vector<char>{'x'});  // (only a log line)
    c.self->request(srv, timeout, caf::atom("add"), std::int32_t{2}, std::int32_t{40})
        .receive([&](std::int32_t r) { got.push_back(std::to_string(r)); }, on_error);
    CHECK(got == std::vector<std::string>{"unexpected_message", "unexpected_message", "42"});
}

TEST_CASE("caf: requests the process drops or never answers before it ends get an error at once",
          "[net][caf]") {
    served s;
    caf_client c;
    const caf::actor srv = c.connect(s.ep->port());
    caf::scoped_actor other{c.sys};
    std::vector<std::string> got;
    auto on_error = [&](caf::error& e) {
        got.push_back(e == caf::sec::request_receiver_down ? "request_receiver_down" : c.render(e));
    };
    auto held = other->request(srv, timeout, caf::atom("hold"));
    c.self->request(srv, timeout, caf::atom("drop"))
        .receive([&](caf::atom_value) { got.push_back("drop: an answer (wrong)"); }, on_error);
    c.self->request(srv, timeout, caf::atom("quit"))
        .receive([&](caf::atom_value a) { got.push_back(caf::to_string(a)); }, on_error);
    // (hold went first, on the same connection: it was held when quit came)
    CHECK(s.result() == "");
    held.receive([&](caf::atom_value) { got.push_back("hold: an answer (wrong)"); }, on_error);
    // The process has ended: a new request is a dead letter, answered.
    c.self->request(srv, timeout, caf::atom("ping"))
        .receive([&](caf::atom_value) { got.push_back("ping: an answer (wrong)"); }, on_error);
    CHECK(got == std::vector<std::string>{"request_receiver_down", "bye", "request_receiver_down",
                                          "request_receiver_down"});
}

TEST_CASE("caf: destroying the endpoint answers the waiting requests and does not hang",
          "[net][caf]") {
    served s;
    caf_client c;
    const caf::actor srv = c.connect(s.ep->port());
    std::vector<std::string> got;
    auto on_error = [&](caf::error& e) {
        got.push_back(e == caf::sec::request_receiver_down ? "request_receiver_down" : c.render(e));
    };
    auto held = c.self->request(srv, timeout, caf::atom("hold"));
    c.self
        ->request(srv, timeout, caf::atom("ping"))  // (behind hold: hold is held now)
        .receive([&](caf::atom_value a) { got.push_back(caf::to_string(a)); }, on_error);
    const auto t0 = std::chrono::steady_clock::now();
    s.ep.reset();  // the client is still connected, a request still waiting
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took < std::chrono::seconds(3));
    held.receive([&](caf::atom_value) { got.push_back("hold: an answer (wrong)"); }, on_error);
    // The actor is gone. A new request gets no answer: CAF 0.17 drops
    // what is sent to a proxy of a node that has gone (FINDINGS §2), so
    // only the client's own timeout ends it, as with any CAF server.
    c.self->request(srv, std::chrono::milliseconds(200), caf::atom("ping"))
        .receive([&](caf::atom_value) { got.push_back("ping after close: an answer (wrong)"); },
                 [&](caf::error&) { got.push_back("ping after close: an error"); });
    CHECK(got ==
          std::vector<std::string>{"pong", "request_receiver_down", "ping after close: an error"});
    // A token that outlives its endpoint answers nothing.
    s.rt.send(s.server.id(), answer_held{});
    CHECK(s.result() == "late reply refused; ");
}

TEST_CASE("caf: publish refuses what it cannot serve", "[net][caf]") {
    runtime rt(real_config(1));
    auto h = rt.spawn(calculator);
    CHECK_THROWS_AS(caf_endpoint::publish(rt, h.id(), {.listen_host = "0.0.0.0"}),
                    std::system_error);
    CHECK_THROWS_AS(caf_endpoint::publish(rt, pid{}), std::invalid_argument);
    pid elsewhere = h.id();
    elsewhere.node += 1;
    CHECK_THROWS_AS(caf_endpoint::publish(rt, elsewhere), std::invalid_argument);
    runtime vrt(virtual_config());
    auto vh = vrt.spawn(calculator);
    CHECK_THROWS_AS(caf_endpoint::publish(vrt, vh.id()), std::invalid_argument);
    {
        auto ep = caf_endpoint::publish(rt, h.id());
        CHECK_THROWS_AS(caf_endpoint::publish(rt, h.id(), {.port = ep->port()}), std::system_error);
    }
}

TEST_CASE("caf: values print as CAF prints them, and any integer reads as int64", "[net][caf]") {
    const caf_values v{
        caf_atom{"add"}, std::int32_t{2}, std::int64_t{-3}, std::uint64_t{4}, true, 2.5,
        std::string("x")};
    CHECK(to_string(v) == "('add', 2, -3, 4, true, 2.5, \"x\")");
    CHECK(caf_integer(v[1]) == 2);
    CHECK(caf_integer(v[2]) == -3);
    CHECK(caf_integer(v[3]) == 4);
    CHECK_FALSE(caf_integer(caf_value{std::uint64_t{1} << 63}));
    CHECK_FALSE(caf_integer(v[4]));
    CHECK_FALSE(caf_integer(v[0]));
    CHECK_FALSE(caf_reply(caf_reply_token{}, {caf_atom{"x"}}));
    CHECK_FALSE(caf_reply_token{}.is_request());
}
