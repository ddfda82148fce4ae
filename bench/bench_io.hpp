#pragma once
// Shared by coronet_bench and caf_bench for the I/O rows: the workload sizes
// (tcp_echo_rt, tcp_throughput, tcp_accepts, and those of file_read and the
// tls_* rows, which only coronet_bench has), so both executables do the same
// work, and plain blocking-socket code (no coronet, no CAF) for tcp_accepts'
// client, which every implementation uses, and for the tcp rows'
// `blocking-threads` baselines (the tls rows' are in bench_tls.hpp).
//
// Every socket here is on 127.0.0.1. Blocking sockets get 30 s send and
// receive timeouts, so a dead peer ends a run with an error, never a hang.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace bench {

using io_clock = std::chrono::steady_clock;

/// Bytes of one tcp_echo_rt message.
constexpr std::size_t echo_size = 64;
/// Bytes of one tcp_throughput write and of the readers' buffers.
constexpr std::size_t stream_chunk = 64 * 1024;

/// The I/O rows' sizes; `--quick` calls quick().
struct io_sizes {
    int tcp_round_trips = 50'000;                          ///< tcp_echo_rt
    std::size_t stream_bytes = std::size_t{1} << 30;       ///< tcp_throughput: 1 GiB
    int connections = 20'000;                              ///< tcp_accepts
    std::size_t file_bytes = std::size_t{64} << 20;        ///< file_read's file: 64 MiB
    std::size_t file_read_bytes = std::size_t{512} << 20;  ///< read per run: 8 passes
    // The tls rows, smaller where their crypto makes a run long (the three
    // of them take about 30 s with --repeat 3 on 2 cores).
    int tls_round_trips = 50'000;                           ///< tls_echo_rt
    std::size_t tls_stream_bytes = std::size_t{512} << 20;  ///< tls_throughput: 512 MiB
    int tls_handshakes = 1'000;                             ///< tls_handshakes

    /// Every size / 10; byte counts rounded down to whole 64 KiB chunks.
    void quick() {
        tcp_round_trips /= 10;
        stream_bytes = whole_chunks(stream_bytes / 10);
        connections /= 10;
        file_bytes = whole_chunks(file_bytes / 10);
        file_read_bytes = whole_chunks(file_read_bytes / 10);
        tls_round_trips /= 10;
        tls_stream_bytes = whole_chunks(tls_stream_bytes / 10);
        tls_handshakes /= 10;
    }
    static std::size_t whole_chunks(std::size_t bytes) {
        return bytes / stream_chunk * stream_chunk;
    }
};

inline double mib_per_s(std::size_t bytes, io_clock::time_point t0, io_clock::time_point t1) {
    return double(bytes) / (1024.0 * 1024.0) / std::chrono::duration<double>(t1 - t0).count();
}

// -- plain sockets --------------------------------------------------------------

inline void set_nodelay(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// 30 s send / receive timeouts on a blocking socket.
inline void set_timeouts(int fd) {
    const timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// A blocking listening socket on 127.0.0.1 with a port the kernel picked
/// (stored in `port`).
inline int listen_loopback(std::uint16_t& port, int backlog = 128) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(fd, backlog) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("bench: cannot listen on 127.0.0.1");
    port = ntohs(a.sin_port);
    return fd;
}

/// A blocking socket connected to 127.0.0.1:port, with timeouts; -1 on failure.
inline int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (fd < 0) return -1;
    set_timeouts(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Closes with SO_LINGER 0: an RST instead of a FIN, so that neither side
/// keeps the connection in TIME_WAIT (tcp_accepts makes tens of thousands of
/// connections; TIME_WAIT would exhaust the ephemeral ports).
inline void close_with_reset(int fd) {
    const linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

inline bool send_all(int fd, const char* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        const ssize_t r = ::send(fd, p + done, size - done, MSG_NOSIGNAL);
        if (r <= 0) return false;
        done += static_cast<std::size_t>(r);
    }
    return true;
}

inline bool recv_exactly(int fd, char* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        const ssize_t r = ::recv(fd, p + done, size - done, 0);
        if (r <= 0) return false;
        done += static_cast<std::size_t>(r);
    }
    return true;
}

// -- client sides (used by every implementation that has no client of its own) --

/// tcp_accepts' connector: connects `n` times one after the other; each time
/// it waits until the server has closed (end of stream), then closes with an
/// RST. One connection at a time, so the listen backlog never overflows (a
/// dropped SYN costs a 1 s retransmit). Connections per second, or 0 when a
/// connection failed.
inline double connect_close_loop(std::uint16_t port, int n) {
    const auto t0 = io_clock::now();
    for (int i = 0; i < n; ++i) {
        const int fd = connect_loopback(port);
        if (fd < 0) return 0;
        char c;
        const ssize_t r = ::recv(fd, &c, 1, 0);
        close_with_reset(fd);
        if (r != 0) return 0;
    }
    return n / std::chrono::duration<double>(io_clock::now() - t0).count();
}

// -- the blocking-threads baselines (printed by coronet_bench) --------------------

/// Wakes a thread blocked in accept() on `lfd` (it then gets -1), so that
/// a baseline whose client failed can join its server thread and throw.
inline void unblock_accept(int lfd) {
    ::shutdown(lfd, SHUT_RDWR);
}

/// tcp_echo_rt between two plain threads: ns per round trip.
inline double blocking_tcp_echo(int n) {
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port, 1);
    std::jthread server([lfd] {
        const int fd = ::accept(lfd, nullptr, nullptr);
        if (fd < 0) return;
        set_nodelay(fd);
        char buf[echo_size];
        while (recv_exactly(fd, buf, echo_size) && send_all(fd, buf, echo_size)) {
        }
        ::close(fd);
    });
    const int fd = connect_loopback(port);
    bool ok = fd >= 0;
    if (ok) set_nodelay(fd);
    char buf[echo_size] = {};
    const auto t0 = io_clock::now();
    for (int i = 0; i < n && ok; ++i) {
        std::memcpy(buf, &i, sizeof i);
        ok = send_all(fd, buf, echo_size) && recv_exactly(fd, buf, echo_size) &&
             std::memcmp(buf, &i, sizeof i) == 0;
    }
    const double ns = std::chrono::duration<double, std::nano>(io_clock::now() - t0).count() / n;
    if (fd >= 0) ::close(fd);
    unblock_accept(lfd);
    server.join();
    ::close(lfd);
    if (!ok) throw std::runtime_error("tcp_echo_rt: blocking echo failed");
    return ns;
}

/// tcp_throughput between two plain threads: the writer sends `bytes` in
/// stream_chunk writes, the reader reads stream_chunk at a time. Timed from
/// the first write until the reader has the last byte; MiB/s.
inline double blocking_tcp_throughput(std::size_t bytes) {
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port, 1);
    io_clock::time_point t1{};
    std::size_t got = 0;
    std::jthread reader([&] {
        const int fd = ::accept(lfd, nullptr, nullptr);
        if (fd < 0) return;
        set_nodelay(fd);  // as CAF sets it on all its sockets
        std::vector<char> buf(stream_chunk);
        for (ssize_t r; (r = ::recv(fd, buf.data(), buf.size(), 0)) > 0;)
            if ((got += std::size_t(r)) == bytes) t1 = io_clock::now();
        ::close(fd);
    });
    const int fd = connect_loopback(port);
    if (fd >= 0) set_nodelay(fd);
    const std::vector<char> chunk(stream_chunk, 'x');
    const auto t0 = io_clock::now();
    for (std::size_t sent = 0; fd >= 0 && sent < bytes && send_all(fd, chunk.data(), chunk.size());)
        sent += chunk.size();
    if (fd >= 0) ::close(fd);
    unblock_accept(lfd);
    reader.join();
    ::close(lfd);
    if (got != bytes)
        throw std::runtime_error("tcp_throughput: the blocking reader got too little");
    return mib_per_s(bytes, t0, t1);
}

/// tcp_accepts with a plain thread that accepts and closes, against
/// connect_close_loop; connections per second.
inline double blocking_tcp_accepts(int n) {
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port);
    std::jthread acceptor([lfd, n] {
        for (int i = 0; i < n; ++i) {
            const int fd = ::accept(lfd, nullptr, nullptr);
            if (fd < 0) return;
            ::close(fd);
        }
    });
    const double per_s = connect_close_loop(port, n);
    unblock_accept(lfd);
    acceptor.join();
    ::close(lfd);
    if (per_s == 0) throw std::runtime_error("tcp_accepts: a blocking connection failed");
    return per_s;
}

}  // namespace bench
