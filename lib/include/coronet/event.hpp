#pragma once
/// \file event.hpp
/// A coroutine event (asyncoro's Event).

#include "coronet/detail/sync_wait.hpp"

namespace coronet {

/// A flag processes wait for. `set()` wakes every process waiting at that
/// moment and lets later waits through until `clear()`. Waits take an
/// optional timeout (false when it expires) and throw cancelled_error when
/// the process is cancelled. Must outlive its waiters.
///
/// **Thread safety:** any member from processes on any worker (set and
/// clear also from other threads). **Suspends:** `wait`.
class event {
  public:
    event() = default;
    void set();
    void clear();
    bool is_set() const;
    [[nodiscard]] detail::sync_awaiter wait(duration timeout = infinite) {
        return detail::sync_awaiter(&c_, timeout);
    }

  private:
    class core final : public detail::sync_base {
      public:
        bool try_take_locked(detail::sync_node&) override { return set_; }
        void grant_lost(std::uint32_t) override {}
        bool set_ = false;  // guarded by m
    };
    core c_;
};

}  // namespace coronet
