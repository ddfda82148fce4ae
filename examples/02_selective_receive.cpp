// 02_selective_receive: selective receive on the virtual clock. A producer sends two
// jobs, a text, an int and a double at set virtual times. The server first takes only an
// urgent job (receive_any with a guard) while the others wait in its mailbox, then takes
// everything in mailbox order with typed handlers and an any_message catch-all, and
// stops when receive_for times out. The virtual clock jumps from timer to timer: the run
// takes no real time and prints the same lines every time.
// Run: build/dev/examples/coronet_example_02_selective_receive
// Prints one line per step, stamped with the virtual time, e.g.
//   [  30 ms] server: urgent job 'restart db' (prio 5); 3 messages still waiting
// and ends with "selective receive: ok" (exit status 0; 1 if a check fails).
#include <chrono>
#include <cstdio>
#include <string>
#include <coronet/coronet.hpp>

namespace {

using namespace std::chrono_literals;
using coronet::pid;
using coronet::self;
using coronet::send;
using coronet::task;

struct job {
    int prio;
    std::string name;
};

/// "[  30 ms] " for the current virtual time.
void stamp() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self().now());
    std::printf("[%4lld ms] ", static_cast<long long>(ms.count()));
}

task<void> producer(pid server) {
    auto s = self();
    send(server, job{1, "tidy logs"});
    co_await s.sleep(10ms);
    send(server, std::string("coffee?"));
    co_await s.sleep(20ms);
    send(server, job{5, "restart db"});
    send(server, 42);
    co_await s.sleep(30ms);
    send(server, 2.5);
}

/// Returns the number of messages it handled.
task<int> server() {
    auto s = self();
    stamp();
    std::printf("server: waiting for a job with prio > 3\n");
    // Only a job that passes the guard matches; everything else stays in the mailbox.
    job urgent = co_await s.receive_any(
        coronet::guard([](const job& j) { return j.prio > 3; }, [](job j) { return j; }));
    stamp();
    std::printf("server: urgent job '%s' (prio %d); %zu messages still waiting\n",
                urgent.name.c_str(), urgent.prio, s.mailbox_size());

    // Handlers are tried in order for each message, oldest message first.
    int handled = 1;
    auto on_job = [&](job j) {
        stamp();
        std::printf("server: job '%s' (prio %d)\n", j.name.c_str(), j.prio);
    };
    auto on_text = [&](std::string t) {
        stamp();
        std::printf("server: text \"%s\"\n", t.c_str());
    };
    auto on_other = [&](coronet::any_message m) {
        stamp();
        if (m.is<int>())
            std::printf("server: any_message holding the int %d\n", m.get<int>());
        else
            std::printf("server: any_message of type %.*s\n",
                        static_cast<int>(m.type_name().size()), m.type_name().data());
    };
    for (;;) {  // (co_await is kept out of loop conditions: see README's pitfalls)
        const bool got = co_await s.receive_for(50ms, on_job, on_text, on_other);
        if (!got) break;
        ++handled;
    }
    stamp();
    std::printf("server: nothing for 50 ms, receive_for timed out\n");
    co_return handled;
}

}  // namespace

int main() {
    coronet::runtime_config cfg;
    cfg.workers = 1;
    cfg.clock = coronet::clock_kind::virtual_;
    coronet::runtime rt{cfg};
    auto srv = rt.spawn(server);
    rt.spawn(producer, srv.id());
    rt.run();  // drives the virtual clock until both processes have exited

    const int handled = srv.value();
    const auto end = std::chrono::duration_cast<std::chrono::milliseconds>(rt.now());
    std::printf("handled %d messages; virtual time at the end: %lld ms\n", handled,
                static_cast<long long>(end.count()));
    if (handled != 5 || end != 110ms) {
        std::printf("FAILED: expected 5 messages and 110 ms\n");
        return 1;
    }
    std::printf("selective receive: ok\n");
    return 0;
}
