// Lower bound: blocking TCP ping-pong of 64-byte messages between two processes
// (fork), TCP_NODELAY, loopback. Prints p50/p99 RTT.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
static void full(int fd, char* b, size_t n, bool rd) {
    size_t d = 0;
    while (d < n) {
        auto r = rd ? read(fd, b + d, n - d) : write(fd, b + d, n - d);
        if (r <= 0) _exit(1);
        d += r;
    }
}
int main() {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(ls, (sockaddr*)&a, sizeof a);
    listen(ls, 1);
    socklen_t l = sizeof a;
    getsockname(ls, (sockaddr*)&a, &l);
    const int n = 20000;
    char buf[64] = {};
    int one = 1;
    if (fork() == 0) {
        alarm(20);
        int c = accept(ls, nullptr, nullptr);
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        for (int i = 0; i < n; ++i) {
            full(c, buf, 64, true);
            full(c, buf, 64, false);
        }
        _exit(0);
    }
    alarm(20);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    connect(s, (sockaddr*)&a, sizeof a);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 4);
    std::vector<double> v;
    for (int i = 0; i < n; ++i) {
        auto t = std::chrono::steady_clock::now();
        full(s, buf, 64, false);
        full(s, buf, 64, true);
        v.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t)
                        .count());
    }
    wait(nullptr);
    std::sort(v.begin(), v.end());
    printf("raw TCP RTT 64B: p50_us=%.1f p99_us=%.1f\n", v[n / 2], v[n * 99 / 100]);
}
