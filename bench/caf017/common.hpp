// Shared helpers of the CAF 0.17.6 prototypes (not coronet code).
#pragma once

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <caf/scoped_execution_unit.hpp>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

struct proto_config : caf::actor_system_config {
    uint16_t port = 0;
    std::string host = "127.0.0.1";
    std::string mode = "echo";
    std::string stop = "cleanup";
    std::string create = "spawn";
    size_t n = 10000;
    size_t size = 64;
    size_t threads = 1;
    bool tls = false;
    int seconds = 15;
    int victim = 0;
    std::string sig = "kill";
    proto_config() {
        load<caf::io::middleman>();
        load<caf::openssl::manager>();
        opt_group{custom_options_, "global"}
            .add(port, "port", "port")
            .add(host, "host", "host")
            .add(mode, "mode", "mode")
            .add(stop, "stop", "how to destroy the companion")
            .add(create, "create", "spawn|make_actor")
            .add(n, "n", "number of messages")
            .add(size, "size", "payload size")
            .add(threads, "threads", "sender threads")
            .add(tls, "tls", "use caf::openssl")
            .add(seconds, "seconds", "life time bound")
            .add(victim, "victim", "pid of the peer to signal")
            .add(sig, "sig", "kill|stop");
    }
};

/// Applies CAF settings from code (as coronet will, without argv), driven by
/// the env var PROTO_SET: "tuned", "hb" (100ms/1s), "appid=<id>".
inline void apply_programmatic(proto_config& cfg) {
    const char* e = getenv("PROTO_SET");
    if (!e) return;
    std::string s = e;
    if (s.find("tuned") != std::string::npos) {
        cfg.set("scheduler.policy", caf::atom("sharing"));
        cfg.set("middleman.workers", size_t{0});
    }
    if (s.find("hb") != std::string::npos) {
        cfg.set("middleman.heartbeat-interval", caf::timespan{100ms});
        cfg.set("middleman.connection-timeout", caf::timespan{1s});
    }
    if (auto pos = s.find("appid="); pos != std::string::npos)
        cfg.set("middleman.app-identifiers",
                std::vector<std::string>{s.substr(pos + 6, s.find(',', pos) - pos - 6)});
}

inline int parse_or_exit(proto_config& cfg, int argc, char** argv) {
    if (auto err = cfg.parse(argc, argv)) {
        std::cerr << "config error: " << cfg.render(err) << std::endl;
        return 1;
    }
    apply_programmatic(cfg);
    return cfg.cli_helptext_printed ? 2 : 0;
}

inline std::string thread_name() {
    char buf[32] = "?";
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    std::ostringstream os;
    os << buf << "/" << std::this_thread::get_id();
    return os.str();
}

inline long rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

inline long hwm_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

inline double us_since(clk::time_point t0) {
    return std::chrono::duration<double, std::micro>(clk::now() - t0).count();
}

/// Our own mailbox: the companion's enqueue handler pushes here from the
/// middleman thread; a plain thread pops.
class mqueue {
  public:
    void push(caf::mailbox_element_ptr x) {
        {
            std::lock_guard<std::mutex> g{mx_};
            q_.push_back(std::move(x));
            n_.fetch_add(1, std::memory_order_release);
        }
        cv_.notify_one();
    }
    caf::mailbox_element_ptr pop(std::chrono::milliseconds timeout = 10000ms) {
        // optional spin before blocking (env SPIN_US), to measure wake-up cost
        static const long spin_us = getenv("SPIN_US") ? atol(getenv("SPIN_US")) : 0;
        if (spin_us > 0) {
            auto until = clk::now() + std::chrono::microseconds(spin_us);
            while (n_.load(std::memory_order_acquire) == 0 && clk::now() < until)
                ;
        }
        std::unique_lock<std::mutex> g{mx_};
        if (!cv_.wait_for(g, timeout, [&] { return !q_.empty(); })) return nullptr;
        auto x = std::move(q_.front());
        q_.pop_front();
        n_.fetch_sub(1, std::memory_order_relaxed);
        return x;
    }
    size_t size() {
        std::lock_guard<std::mutex> g{mx_};
        return q_.size();
    }

  private:
    std::mutex mx_;
    std::condition_variable cv_;
    std::deque<caf::mailbox_element_ptr> q_;
    std::atomic<size_t> n_{0};
};

/// Replies to a mailbox element the way response_promise::deliver does in
/// 0.17: through the forwarding stages if any, else to the sender with the
/// response id. Callable from any thread.
inline void reply_to(const caf::strong_actor_ptr& self, caf::mailbox_element& req,
                     caf::message msg) {
    if (!req.stages.empty()) {
        auto next = std::move(req.stages.back());
        req.stages.pop_back();
        next->enqueue(caf::make_mailbox_element(std::move(req.sender), req.mid,
                                                std::move(req.stages), std::move(msg)),
                      nullptr);
        return;
    }
    if (req.sender) req.sender->enqueue(self, req.mid.response_id(), std::move(msg), nullptr);
}

/// Prints one line to stdout and flushes (the driver scripts read it).
template <class... Ts>
void say(Ts&&... xs) {
    std::ostringstream os;
    (os << ... << xs);
    os << "\n";
    std::cout << os.str() << std::flush;
}
