// 01_hello: the shortest coronet program. Two processes; the client sends a request
// to the greeter, which replies by message. Run: build/dev/examples/coronet_example_01_hello
// Prints: "hello, world".
#include <coronet/coronet.hpp>

#include <cstdio>
#include <string>

struct greet {
    coronet::pid from;
    std::string name;
};

coronet::task<void> greeter() {
    greet g = co_await coronet::self().receive<greet>();
    coronet::send(g.from, "hello, " + g.name);
}

coronet::task<void> client(coronet::pid server) {
    coronet::send(server, greet{coronet::self().id(), "world"});
    std::string reply = co_await coronet::self().receive<std::string>();
    std::printf("%s\n", reply.c_str());
}

int main() {
    coronet::runtime rt;  // real clock, one worker thread per core
    auto server = rt.spawn(greeter);
    rt.spawn(client, server.id());
    rt.run();  // returns when both processes have exited
}
