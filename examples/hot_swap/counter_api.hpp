#pragma once
// What the program and both versions of the counter library share: the
// messages and the state types. (The libraries are compiled against this
// header and coronet's headers, and use the program's copy of coronet.)

#include <coronet/pid.hpp>

namespace counter_api {

/// The n-th number of the stream; numbers come 1, 2, 3, ... in order.
struct add {
    long seq;
};
/// Asks for a report, sent to `reply_to`.
struct report {
    coronet::pid reply_to;
};
struct counter_report {
    int version;
    long count;         ///< messages handled
    long sum;           ///< sum of their seq
    long out_of_order;  ///< seq that was not last + 1 (a loss or a duplicate)
    long by_v1;
    long by_v2;
};

/// Version 1's state.
struct state_v1 {
    long count = 0;
    long sum = 0;
    long last = 0;
    long out_of_order = 0;
};
/// Version 2's state: version 1's plus who handled what.
struct state_v2 {
    state_v1 base;
    long by_v1 = 0;
    long by_v2 = 0;
};

}  // namespace counter_api
