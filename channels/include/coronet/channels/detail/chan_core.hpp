#pragma once
// The non-template core of channel<T> and select: queues of waiting senders
// and receivers, the claim protocol (ext_wait), close. Internal.

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "coronet/detail/ext_wait.hpp"
#include "coronet/detail/intrusive_fifo.hpp"

namespace coronet::detail {

class chan_base;
struct chan_wait;

/// One channel operation of a process: queued in its channel while the
/// process waits. Lives in the awaiter.
struct chan_op {
    chan_op* next = nullptr;
    chan_op* prev = nullptr;
    chan_base* chan = nullptr;
    chan_wait* owner = nullptr;  ///< null for a try_ operation (never queued)
    void* slot = nullptr;        ///< send: the T to move from; receive: optional<T> to fill
    std::uint16_t index = 0;     ///< its place in the select
    bool is_send = false;
    bool queued = false;  ///< guarded by chan->m
    bool closed = false;  ///< finished by the channel's close (send failed / receive: drained)
};

/// The waiting process of one send, receive or select.
struct chan_wait : ext_wait {
    chan_op** ops = nullptr;
    std::size_t n = 0;
    int winner = -1;  ///< the op that completed (written before complete())
};

/// A channel without its element type.
///
/// **Thread safety:** every member takes the lock. **Suspends:** never.
class chan_base {
  public:
    explicit chan_base(std::size_t capacity) : capacity_(capacity) {}
    chan_base(const chan_base&) = delete;
    chan_base& operator=(const chan_base&) = delete;
    /// Aborts with a message if processes still wait on it (their awaiters
    /// would point at a dead channel): a channel must outlive its waiters.
    virtual ~chan_base();

    /// Completes `o` now if it can (under m): true when done (o.closed says
    /// how). Completes at most one waiting partner.
    bool try_op_locked(chan_op& o);
    /// A try_send / try_receive from any thread.
    bool try_op(chan_op& o);
    void close();
    bool closed() const;
    std::size_t size() const;
    std::size_t capacity() const noexcept { return capacity_; }

    std::mutex m;
    void enqueue_locked(chan_op& o) noexcept;
    void remove_locked(chan_op& o) noexcept;

  protected:
    // The typed buffer (under m). Moves never throw (channel<T> requires it).
    virtual std::size_t buffered_locked() const noexcept = 0;
    virtual void push_locked(void* from) noexcept = 0;          // from: T*
    virtual void pop_locked(void* to) noexcept = 0;             // to: optional<T>*
    virtual void hand_over(void* from, void* to) noexcept = 0;  // T* -> optional<T>*

  private:
    /// Pops the first waiter of `q` that can still be claimed; stale ones
    /// (completed elsewhere, timed out) are dropped on the way.
    static chan_op* claim_first_locked(intrusive_fifo<chan_op>& q) noexcept;
    static void finish(chan_op& o) noexcept;

    const std::size_t capacity_;
    bool closed_ = false;  // under m
    intrusive_fifo<chan_op> senders_;
    intrusive_fifo<chan_op> receivers_;
};

/// Ready part of a send/receive/select: locks its channels, completes one
/// ready op (chosen at random) or queues them all. True: no suspension.
bool chan_wait_ready(chan_wait& w);
void chan_wait_suspend(chan_wait& w, std::coroutine_handle<> h);
/// The op that completed, or -1 on timeout; throws cancelled_error.
int chan_wait_resume(chan_wait& w);

/// A channel's typed buffer: a ring of `capacity` slots, allocated once.
template <class T>
class chan_impl final : public chan_base {
  public:
    explicit chan_impl(std::size_t capacity)
        : chan_base(capacity), ring_(capacity ? new std::optional<T>[capacity] : nullptr) {}

  private:
    std::size_t buffered_locked() const noexcept override { return count_; }
    void push_locked(void* from) noexcept override {
        ring_[(head_ + count_) % capacity()].emplace(std::move(*static_cast<T*>(from)));
        ++count_;
    }
    void pop_locked(void* to) noexcept override {
        auto& s = ring_[head_];
        static_cast<std::optional<T>*>(to)->emplace(std::move(*s));
        s.reset();
        head_ = (head_ + 1) % capacity();
        --count_;
    }
    void hand_over(void* from, void* to) noexcept override {
        static_cast<std::optional<T>*>(to)->emplace(std::move(*static_cast<T*>(from)));
    }

    std::unique_ptr<std::optional<T>[]> ring_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

}  // namespace coronet::detail
