// Version 2 of the counter, built as a shared library: the same counting,
// plus a count of the messages each version handled. Its migration takes
// version 1's state over, so no count is lost.
#include <memory>
#include <coronet/behaviour.hpp>
#include <coronet/code_registry.hpp>
#include <coronet/self.hpp>

#include "counter_api.hpp"

using namespace counter_api;

extern "C" void coronet_register(coronet::code_registry& r) {
    auto b = std::make_shared<coronet::behaviour_of<state_v2>>("counter", 2);
    b->on<add>([](state_v2& s, add& a) {
        if (a.seq != s.base.last + 1) ++s.base.out_of_order;
        s.base.last = a.seq;
        ++s.base.count;
        s.base.sum += a.seq;
        ++s.by_v2;
    });
    b->on<report>([](state_v2& s, report& r) {
        coronet::send(r.reply_to, counter_report{2, s.base.count, s.base.sum, s.base.out_of_order,
                                                 s.by_v1, s.by_v2});
    });
    b->migrate_from<state_v1>([](const state_v1& old) { return state_v2{old, old.count, 0}; });
    r.add(std::move(b));
}
