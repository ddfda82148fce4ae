// Uses an installed coronet (core and channels) from a separate CMake project (see
// CMakeLists.txt here). Prints "consumer: answer = 42" and exits with 0.
#include <coronet/channels.hpp>
#include <coronet/coronet.hpp>

#include <cstdio>

coronet::task<void> producer(coronet::channel<int> ch) {
    co_await ch.send(40);
    co_await ch.send(2);
    ch.close();
}

coronet::task<int> answer(coronet::channel<int> ch) {
    int sum = 0;
    for (;;) {
        auto v = co_await ch.receive();
        if (!v) break;
        sum += *v;
    }
    co_return sum;
}

int main() {
    coronet::runtime rt{coronet::runtime_config{.workers = 1}};
    coronet::channel<int> ch(0);
    auto h = rt.spawn(answer, ch);
    rt.spawn(producer, ch);
    rt.run();
    int v = h.value();
    std::printf("consumer: answer = %d\n", v);
    return v == 42 ? 0 : 1;
}
