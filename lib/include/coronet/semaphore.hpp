#pragma once
/// \file semaphore.hpp
/// A coroutine counting semaphore (asyncoro's Semaphore and BoundedSemaphore).

#include <cstdint>
#include <optional>

#include "coronet/detail/sync_wait.hpp"

namespace coronet {

/// Permits that processes acquire and release. Waiters are served in order:
/// a later acquire does not pass an earlier one that waits for more
/// permits. With a bound, releasing above it throws std::logic_error.
/// Waits take an optional timeout (false when it expires) and throw
/// cancelled_error when the process is cancelled. Must outlive its waiters.
///
/// **Thread safety:** any member from processes on any worker (release also
/// from other threads). **Suspends:** `acquire`.
class semaphore {
  public:
    explicit semaphore(std::uint32_t initial, std::optional<std::uint32_t> bound = std::nullopt);
    [[nodiscard]] detail::sync_awaiter acquire(duration timeout = infinite, std::uint32_t n = 1) {
        return detail::sync_awaiter(&c_, timeout, n);
    }
    bool try_acquire(std::uint32_t n = 1);
    void release(std::uint32_t n = 1);
    std::uint32_t available() const;

  private:
    class core final : public detail::sync_base {
      public:
        bool try_take_locked(detail::sync_node& n) override;
        void grant_lost(std::uint32_t want) override;
        void waiter_left_locked() override;
        void on_grant_locked(detail::sync_node& n) override { permits -= n.want; }
        void release_locked(std::uint32_t n);
        std::uint32_t permits = 0;  // guarded by m
        std::optional<std::uint32_t> bound;
    };
    core c_;
};

}  // namespace coronet
