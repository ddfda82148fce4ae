// Version 1 of the counter, built as a shared library (examples/04_hot_swap
// loads it with code_registry::load_library).
#include <memory>
#include <coronet/behaviour.hpp>
#include <coronet/code_registry.hpp>
#include <coronet/self.hpp>

#include "counter_api.hpp"

using namespace counter_api;

extern "C" void coronet_register(coronet::code_registry& r) {
    auto b = std::make_shared<coronet::behaviour_of<state_v1>>("counter", 1);
    b->on<add>([](state_v1& s, add& a) {
        if (a.seq != s.last + 1) ++s.out_of_order;
        s.last = a.seq;
        ++s.count;
        s.sum += a.seq;
    });
    b->on<report>([](state_v1& s, report& r) {
        coronet::send(r.reply_to, counter_report{1, s.count, s.sum, s.out_of_order, s.count, 0});
    });
    r.add(std::move(b));
}
