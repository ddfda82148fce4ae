#pragma once
/// \file mutex.hpp
/// Coroutine mutexes: a process waits for the lock without blocking its
/// worker (asyncoro's Lock and RLock).

#include <cstdint>
#include <utility>

#include "coronet/detail/sync_wait.hpp"
#include "coronet/task.hpp"

namespace coronet {

namespace detail {
/// The state of a mutex: its owner (a process serial), depth and flags.
class mutex_core final : public sync_base {
  public:
    explicit mutex_core(bool recursive) noexcept : recursive_(recursive) {}
    ~mutex_core() override;
    bool try_take_locked(sync_node& n) override;
    void grant_lost(std::uint32_t want) override;
    void taken(process* p) override;
    void on_grant_locked(sync_node& n) override;
    /// Releases one level held by the current process.
    void unlock();
    bool try_lock();
    /// The process `serial` exited holding it (on its worker).
    void abandon(std::uint64_t serial);
    bool owned_by_current() const;
    bool abandoned() const;

  private:
    void release_locked();
    const bool recursive_;
    std::uint64_t owner_ = 0;  // process serial; 0 = free (guarded by m)
    std::uint32_t depth_ = 0;
    bool abandoned_ = false;
};
}  // namespace detail

class mutex;

/// Unlocks a mutex when it goes out of scope (from `co_await m.scoped()`).
///
/// **Thread safety:** use it in the process that locked. **Suspends:** never.
class mutex_guard {
  public:
    explicit mutex_guard(detail::mutex_core* m) noexcept : m_(m) {}
    mutex_guard(mutex_guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    mutex_guard(const mutex_guard&) = delete;
    mutex_guard& operator=(const mutex_guard&) = delete;
    mutex_guard& operator=(mutex_guard&&) = delete;
    ~mutex_guard() {
        if (m_) m_->unlock();
    }
    /// Unlocks now.
    void unlock() {
        if (auto* m = std::exchange(m_, nullptr)) m->unlock();
    }

  private:
    detail::mutex_core* m_;
};

/// The members of mutex and recursive_mutex.
///
/// A mutex for processes. `co_await m.lock()` waits without blocking the
/// worker; waiters are served in order (FIFO), from any worker. Each wait
/// takes an optional timeout (lock gives false when it expires) and throws
/// cancelled_error when the process is cancelled. A process that exits
/// while holding it releases it; the next holder sees `abandoned()` true
/// (until it unlocks).
///
/// The mutex must outlive every process that uses it.
///
/// **Thread safety:** lock / unlock from processes on any worker; unlock
/// only by the holder (std::logic_error otherwise). **Suspends:** `lock`
/// and `scoped` until the mutex is free.
class basic_mutex {
  public:
    /// Takes the mutex; false when `timeout` passed first.
    [[nodiscard]] detail::sync_awaiter lock(duration timeout = infinite) {
        return detail::sync_awaiter(&c_, timeout);
    }
    /// Takes the mutex and gives a guard that unlocks it.
    task<mutex_guard> scoped();
    /// Takes it if it is free; never suspends.
    bool try_lock() { return c_.try_lock(); }
    void unlock() { c_.unlock(); }
    /// True when the previous holder exited while holding it.
    bool abandoned() const { return c_.abandoned(); }
    /// True when the current process holds it.
    bool held() const { return c_.owned_by_current(); }

    detail::mutex_core* core() noexcept { return &c_; }

  protected:
    explicit basic_mutex(bool recursive) : c_(recursive) {}

  private:
    detail::mutex_core c_;
};

/// A mutex for processes (see basic_mutex).
class mutex : public basic_mutex {
  public:
    mutex() : basic_mutex(false) {}
};

/// A mutex the holding process may lock again (it must unlock as often).
/// Otherwise as mutex.
class recursive_mutex : public basic_mutex {
  public:
    recursive_mutex() : basic_mutex(true) {}
};

}  // namespace coronet
