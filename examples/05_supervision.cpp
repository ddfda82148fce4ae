// 05_supervision: a one_for_one supervisor keeps a worker running. The worker squares
// numbers and crashes on negative ones; each crash is followed by a restart under the
// same registered name, so the client just goes on sending to that name.
// Run: build/dev/examples/coronet_example_05_supervision
// Prints each answer or restart, then "supervision: ok".
#include <coronet/coronet.hpp>

#include <cstdio>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

struct job {
    int n;
    coronet::pid reply_to;
};

coronet::task<void> squarer() {
    for (;;) {
        job j = co_await coronet::self().receive<job>();
        if (j.n < 0) throw std::invalid_argument("negative input");
        coronet::send(j.reply_to, j.n * j.n);
    }
}

coronet::task<int> client(std::vector<int> inputs) {
    auto s = coronet::self();
    coronet::supervisor_flags flags;  // one_for_one; at most 3 restarts in 5 s
    flags.intensity = 3;
    std::vector<coronet::child_spec> children;
    children.push_back(coronet::child("squarer", squarer));
    children.back().name = "squarer";  // re-bound to every new incarnation
    auto sup = co_await coronet::start(coronet::supervise, flags, children);

    int restarts = 0;
    for (int n : inputs) {
        const coronet::pid before = *coronet::whereis("squarer");
        coronet::send("squarer", job{n, s.id()});
        const auto r = co_await s.receive<int>(500ms);  // not inside the if: README's pitfalls
        if (r) {
            std::printf("%d squared is %d\n", n, *r);
        } else if (coronet::whereis("squarer") != before) {
            std::printf("%d crashed the squarer; the supervisor restarted it\n", n);
            ++restarts;
        }
    }
    coronet::exit(sup.id(), {coronet::exit_kind::shutdown, {}, "done"});  // as a parent would
    co_return restarts;
}

int main() {
    coronet::runtime rt;
    auto h = rt.spawn(client, std::vector<int>{3, -1, 4, -2, 5});
    rt.run();
    std::printf("supervision: %s\n", h.value() == 2 ? "ok" : "FAILED");
    return h.value() == 2 ? 0 : 1;
}
