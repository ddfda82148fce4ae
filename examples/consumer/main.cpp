// Uses an installed coronet from a separate CMake project (see CMakeLists.txt here).
// Prints "consumer: answer = 42" and exits with 0.
#include <coronet/coronet.hpp>

#include <cstdio>

coronet::task<int> answer() {
    co_return 42;
}

int main() {
    coronet::runtime rt{coronet::runtime_config{.workers = 1}};
    auto h = rt.spawn(answer);
    rt.run();
    int v = h.value();
    std::printf("consumer: answer = %d\n", v);
    return v == 42 ? 0 : 1;
}
