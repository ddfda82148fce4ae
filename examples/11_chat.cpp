// 11_chat: a line-based chat server over TCP, with a topic as the chat room. Each
// connection is a session process: it subscribes to the topic "room" and writes what
// arrives to its client, while a child process reads the client's lines and
// publishes them. Lines are at most 1000 bytes; a longer one ends that session.
// Three clients join, wait until all three are in, say two lines each, read every
// line of the conversation and quit.
// Run: build/dev/examples/coronet_example_11_chat
// Prints one client's transcript, then "chat: ok".
#include <coronet/channels.hpp>
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coronet::net::read_line;
using coronet::net::tcp_stream;
using room_t = coronet::topic<std::string>;

constexpr std::size_t max_line = 1000;
const char* const names[] = {"alice", "bob", "carol"};
constexpr int said_each = 2;

struct left {};  // the reader's note to its session: the client is gone

/// Reads the client's lines and publishes them, until "/quit" or the end.
coronet::task<void> reader(tcp_stream* s, room_t room, std::string nick, coronet::pid session) {
    for (;;) {
        auto line = co_await read_line(*s, max_line, 30s);
        if (!line || *line == "/quit") break;
        room.publish(nick + ": " + *line);
    }
    const std::size_t here = room.stats().subscribers - 1;
    room.publish("* " + nick + " left (" + std::to_string(here) + " here)");
    coronet::send(session, left{});
}

/// One connection: the nick, then the room's lines out while the reader
/// child brings the client's lines in.
coronet::task<void> session(tcp_stream s, room_t room) {
    auto nick = co_await read_line(s, 32, 30s);
    if (!nick || nick->empty()) co_return;
    auto sub = room.subscribe();  // before the join is announced: we see our own
    const coronet::pid me = coronet::self().id();
    coronet::self().spawn(reader, &s, room, *nick, me);
    room.publish("* " + *nick + " joined (" + std::to_string(room.stats().subscribers) + " here)");
    for (;;) {
        auto line = co_await coronet::self().receive_any(
            [](std::string l) { return std::optional<std::string>(std::move(l) + "\n"); },
            [](left) { return std::optional<std::string>(); });
        if (!line || (co_await s.write_all(std::string_view(*line), 30s)).ec) break;
    }
    // (the reader child is joined before this process ends)
}

coronet::task<void> server(coronet::net::tcp_listener* l, int connections) {
    room_t room = room_t::create("room");
    for (int i = 0; i < connections; ++i) {
        auto c = co_await l->accept(30s);
        if (!c) throw std::system_error(c.error(), "accept");
        coronet::self().spawn(session, std::move(*c), room);
    }
}

/// A client: join, wait for everyone, talk, read the whole conversation.
struct in_room {};  // a client's note to the test driver: it has joined

coronet::task<std::vector<std::string>> client(coronet::net::address to, std::string nick,
                                               coronet::pid driver) {
    std::vector<std::string> seen;
    auto c = co_await tcp_stream::connect(to, 30s);
    if (!c) co_return seen;
    const std::string hello = nick + "\n";
    (void)co_await c->write_all(std::string_view(hello), 30s);
    const std::string all_here = "(" + std::to_string(std::size(names)) + " here)";
    for (;;) {  // until the room is full
        auto line = co_await read_line(*c, max_line, 30s);
        if (!line) co_return seen;
        seen.push_back(*line);
        if (seen.size() == 1) coronet::send(driver, in_room{});  // our own join
        if (line->find(all_here) != std::string::npos) break;
    }
    for (int i = 0; i < said_each; ++i) {
        const std::string say = "hello #" + std::to_string(i) + " from " + nick + "\n";
        (void)co_await c->write_all(std::string_view(say), 30s);
    }
    int said = 0;  // everyone's lines, ours included
    while (said < said_each * static_cast<int>(std::size(names))) {
        auto line = co_await read_line(*c, max_line, 30s);
        if (!line) co_return seen;
        seen.push_back(*line);
        if (line->find(": hello #") != std::string::npos) ++said;
    }
    (void)co_await c->write_all(std::string_view("/quit\n"), 30s);
    co_return seen;
}

/// Starts the clients one after the other, each once the one before is in
/// (so the joins come in order).
coronet::task<std::vector<std::vector<std::string>>> clients(coronet::net::address to) {
    std::vector<coronet::handle<std::vector<std::string>>> hs;
    for (const char* n : names) {
        hs.push_back(coronet::self().spawn(client, to, std::string(n), coronet::self().id()));
        co_await coronet::self().receive<in_room>();
    }
    std::vector<std::vector<std::string>> out;
    for (auto& h : hs) out.push_back(co_await h);
    co_return out;
}

int main() {
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto l = coronet::net::tcp_listener::bind(coronet::net::address::loopback(0));
    if (!l) {
        std::printf("bind: %s\n", l.error().message().c_str());
        return 1;
    }
    rt.spawn(server, &*l, static_cast<int>(std::size(names)));
    auto h = rt.spawn(clients, l->local_address());
    rt.run();
    const auto transcripts = h.value();
    bool ok = transcripts.size() == std::size(names);
    for (std::size_t i = 0; i < transcripts.size(); ++i) {
        int lines = 0;
        for (const auto& line : transcripts[i])
            if (line.find(": hello #") != std::string::npos) ++lines;
        ok = ok && lines == said_each * static_cast<int>(std::size(names));
        if (i == 0)
            for (const auto& line : transcripts[i]) std::printf("alice sees: %s\n", line.c_str());
    }
    std::printf("chat: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
