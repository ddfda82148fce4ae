// 12_pipeline: a shell pipeline built from coronet processes and child programs,
// `generate | sort | uniq -c`, where each `|` is a coronet process streaming bytes
// between pipes. A generator process writes 30 000 fruit names, in a pseudo-random
// order, into the standard input of `sort`; a pump process copies sort's output
// into `uniq -c` as it comes; a collector process reads uniq's lines and parses the
// counts; two more processes wait for the children. The children get an explicit
// environment (LC_ALL=C, so that sort's order does not depend on the machine).
// Finally every count is checked against the ones the generator kept.
// Run: build/dev/examples/coronet_example_12_pipeline
// Prints the count of each fruit as uniq gave it, how the children ended, then
// "pipeline: ok".
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using coronet::net::pipe_reader;
using coronet::net::pipe_writer;
using coronet::net::subprocess;

using counts = std::map<std::string, int>;

constexpr int words = 30000;
constexpr std::array<std::string_view, 7> fruits{"apple",      "banana", "cherry", "date",
                                                 "elderberry", "fig",    "grape"};

/// Writes `words` fruit names, one per line, in chunks; closing the pipe at
/// the end is how sort knows its input is complete.
coronet::task<counts> generate(pipe_writer to_sort) {
    counts made;
    std::uint32_t x = 2024;
    std::string chunk;
    for (int i = 0; i < words; ++i) {
        x = x * 1664525u + 1013904223u;
        const std::string_view fruit = fruits[(x >> 16) % fruits.size()];
        ++made[std::string(fruit)];
        chunk.append(fruit).push_back('\n');
        if (chunk.size() >= 16384 || i + 1 == words) {
            const auto w = co_await to_sort.write_all(std::string_view(chunk), 10s);
            if (w.ec) throw std::system_error(w.ec, "write to sort");
            chunk.clear();
        }
    }
    to_sort.close();
    co_return made;
}

/// sort's standard output into uniq's standard input, as it comes.
coronet::task<std::size_t> pump(pipe_reader from_sort, pipe_writer to_uniq) {
    std::vector<char> buf(8192);
    std::size_t moved = 0;
    for (;;) {
        const auto r = co_await from_sort.read_some(std::span<char>(buf), 10s);
        if (r.ec) throw std::system_error(r.ec, "read from sort");
        if (r.n == 0) break;  // sort is done
        const auto w = co_await to_uniq.write_all(std::span<const char>(buf.data(), r.n), 10s);
        if (w.ec) throw std::system_error(w.ec, "write to uniq");
        moved += r.n;
    }
    to_uniq.close();
    co_return moved;
}

/// uniq -c's lines ("   4321 apple") as counts.
coronet::task<counts> collect(pipe_reader from_uniq) {
    counts seen;
    std::string line;
    for (;;) {
        const auto r = co_await from_uniq.read_until(line, "\n", 200, 10s);
        if (r.ec == coronet::net::errc::eof) break;
        if (r.ec) throw std::system_error(r.ec, "read from uniq");
        const std::size_t start = line.find_first_not_of(' ');
        const std::size_t space = line.find(' ', start);
        if (start == std::string::npos || space == std::string::npos) continue;
        seen[line.substr(space + 1)] = std::stoi(line.substr(start, space - start));
    }
    co_return seen;
}

coronet::task<std::string> reap(subprocess child) {
    auto st = co_await child.wait(10s);
    co_return st ? st->to_string() : st.error().message();
}

int main() {
    coronet::net::subprocess_options o;
    o.environment = std::vector<std::string>{"LC_ALL=C", "PATH=/usr/bin:/bin"};
    o.err = coronet::net::stdio::inherit;
    auto sort = subprocess::start("sort", {}, o);
    auto uniq = subprocess::start("uniq", {"-c"}, o);
    if (!sort || !uniq) {
        std::printf("start: %s\n", (!sort ? sort.error() : uniq.error()).message().c_str());
        return 1;
    }
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto made = rt.spawn(generate, std::move(sort->in()));
    auto moved = rt.spawn(pump, std::move(sort->out()), std::move(uniq->in()));
    auto seen = rt.spawn(collect, std::move(uniq->out()));
    auto sort_end = rt.spawn(reap, std::move(*sort));
    auto uniq_end = rt.spawn(reap, std::move(*uniq));
    rt.run();

    for (const auto& [fruit, n] : seen.value()) std::printf("%s: %d\n", fruit.c_str(), n);
    std::printf("%zu bytes through sort, sort %s, uniq %s\n", moved.value(),
                sort_end.value().c_str(), uniq_end.value().c_str());
    const bool ok = seen.value() == made.value() && sort_end.value() == "exited with code 0" &&
                    uniq_end.value() == "exited with code 0";
    std::printf("pipeline: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
