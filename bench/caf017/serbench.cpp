// In-process cost of CAF's serialization of std::string vs std::vector<char>
// payloads (what BASP does per message), sizes 64 B and 64 KB.
#include "common.hpp"
using namespace caf;
template <class T>
void bench(actor_system& sys, size_t size, const char* name) {
    T payload(size, 'x');
    auto msg = make_message(uint64_t{1}, payload);
    std::vector<char> buf;
    size_t n = size > 1000 ? 20000 : 1000000;
    auto t0 = clk::now();
    for (size_t i = 0; i < n; ++i) {
        buf.clear();
        binary_serializer sink{sys, buf};
        auto err = msg.save(sink);
        if (err) {
            say("save failed");
            return;
        }
    }
    auto ser = us_since(t0) / n;
    message out;
    t0 = clk::now();
    for (size_t i = 0; i < n; ++i) {
        binary_deserializer source{sys, buf};
        auto err = out.load(source);
        if (err) {
            say("load failed ", sys.render(err));
            return;
        }
    }
    auto de = us_since(t0) / n;
    say(name, " size=", size, " wire_bytes=", buf.size(), " save_us=", ser, " load_us=", de);
}
int main() {
    actor_system_config cfg;
    actor_system sys{cfg};
    for (size_t s : {64, 65536}) {
        bench<std::string>(sys, s, "std::string      ");
        bench<std::vector<char>>(sys, s, "std::vector<char>");
    }
}
