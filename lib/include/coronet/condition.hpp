#pragma once
/// \file condition.hpp
/// A coroutine condition variable, used with coronet::mutex (asyncoro's
/// Condition).

#include "coronet/cancel_scope.hpp"
#include "coronet/detail/sync_wait.hpp"
#include "coronet/mutex.hpp"
#include "coronet/task.hpp"

namespace coronet {

/// `co_await c.wait(m)` releases `m` (held by the caller), waits for a
/// notify, and takes `m` again before it returns. Waiters are woken in
/// order. With a timeout, wait gives false when it expired. Whether it
/// returns, times out or throws cancelled_error, `m` is held again when it
/// is done (taking it back is not interrupted by a cancel; a kill ends the
/// process). Must outlive its waiters.
///
/// **Thread safety:** from processes on any worker (notify also from other
/// threads). **Suspends:** `wait`.
class condition {
  public:
    condition() = default;
    task<bool> wait(mutex& m, duration timeout = infinite);
    /// Waits until `pred()` is true (checked with `m` held); false if the
    /// timeout passed first.
    template <class Pred>
    task<bool> wait(mutex& m, Pred pred, duration timeout = infinite) {
        const time_point deadline = detail::deadline_from_now(timeout);
        while (!pred()) {
            const duration left =
                deadline == time_point::max() ? infinite : deadline - detail::now_impl();
            if (left <= duration::zero()) co_return pred();
            const bool notified = co_await wait(m, left);  // (not inside the if: README)
            if (!notified) co_return pred();
        }
        co_return true;
    }
    void notify_one();
    void notify_all();

  private:
    class core final : public detail::sync_base {
      public:
        bool try_take_locked(detail::sync_node&) override { return false; }
        void grant_lost(std::uint32_t) override;
    };
    core c_;
};

}  // namespace coronet
