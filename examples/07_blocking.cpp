// 07_blocking: blocking calls off the workers, and locks between processes. A process
// reads a file through run_blocking (the read runs on a pool thread; the process is
// resumed on its own worker with the contents); four processes on two workers then
// count its words into one total under a coronet::mutex, and an event tells the
// reporter when all are done.
// Run: build/dev/examples/coronet_example_07_blocking
// Prints the file's size and word count, then "blocking: ok".
#include <coronet/coronet.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

struct shared_total {
    coronet::mutex lock;
    coronet::event done;
    long words = 0;
    int finished = 0;
};

std::string read_file(std::string path) {  // blocking: runs on a pool thread
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

long count_words(const std::string& text, std::size_t from, std::size_t to) {
    long n = 0;
    bool in_word = false;
    for (std::size_t i = from; i < to; ++i) {
        const bool space = text[i] == ' ' || text[i] == '\n';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

coronet::task<void> counter(const std::string* text, std::size_t from, std::size_t to,
                            shared_total* t) {
    const long n = count_words(*text, from, to);
    co_await t->lock.lock();
    t->words += n;
    const bool last = ++t->finished == 4;
    t->lock.unlock();
    if (last) t->done.set();
}

coronet::task<bool> reader(std::string path) {
    auto s = coronet::self();
    const std::string text = co_await coronet::run_blocking(read_file, path);
    std::printf("read %zu bytes through run_blocking\n", text.size());

    shared_total total;
    const std::size_t quarter =
        text.size() / 4;  // 1000 lines of 39 bytes: quarters start at a line
    std::vector<coronet::handle<void>> counters;
    for (std::uint32_t i = 0; i < 4; ++i) {
        const std::size_t to = i == 3 ? text.size() : (i + 1) * quarter;
        counters.push_back(s.spawn_opt({coronet::placement::pinned(i % 2)}, counter, &text,
                                       i * quarter, to, &total));
    }
    co_await total.done.wait();
    std::printf("words: %ld\n", total.words);
    // `total` and `text` die with this frame: let the counters finish with them first
    // (the last one may still be inside done.set()).
    for (auto& c : counters) co_await c;
    co_return total.words == 5000;
}

int main() {
    const std::string path = "coronet_example_07.txt";
    {
        std::ofstream out(path);
        for (int i = 0; i < 1000; ++i)
            out << "alpha beta gamma delta "
                << "0123456789abcde\n";
    }
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto h = rt.spawn(reader, path);
    rt.run();
    std::remove(path.c_str());
    std::printf("blocking: %s\n", h.value() ? "ok" : "FAILED");
    return h.value() ? 0 : 1;
}
