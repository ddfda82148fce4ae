#pragma once
/// \file channel.hpp
/// A bounded channel between processes (hio's buffers, CSP): back pressure,
/// close and drain.

#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "coronet/channels/detail/chan_core.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// Thrown by a send on a closed channel: the value was not delivered.
class channel_closed : public std::runtime_error {
  public:
    channel_closed() : std::runtime_error("coronet: send on a closed channel") {}
};

/// How a timed or non-blocking channel operation ended.
enum class chan_status : std::uint8_t {
    ok,       ///< sent, or a value received
    closed,   ///< receive: the channel is closed and drained
    timeout,  ///< the timeout expired first
    empty,    ///< try_receive: nothing to take now
};

/// The outcome of a timed receive or of try_receive: a value when `ok`.
template <class T>
struct chan_item {
    chan_status status = chan_status::empty;
    std::optional<T> value;
    explicit operator bool() const noexcept { return status == chan_status::ok; }
    T& operator*() noexcept { return *value; }
    T* operator->() noexcept { return &*value; }
};

template <class T>
class channel;

namespace detail {

template <class T>
using chan_ptr = std::shared_ptr<chan_impl<T>>;
template <class T>
const chan_ptr<T>& chan_of(const channel<T>& c) noexcept;

/// co_await ch.receive() / ch.receive(timeout).
template <class T, bool Timed>
class chan_recv_awaiter {
  public:
    // The channel handle the operation was called on lives until the end of
    // the co_await's full expression: a plain pointer is enough.
    chan_recv_awaiter(chan_impl<T>* c, duration timeout) {
        op_.chan = c;
        op_.owner = &w_;
        op_.slot = &v_;
        ops_[0] = &op_;
        w_.ops = ops_;
        w_.n = 1;
        w_.timeout = timeout;
    }
    chan_recv_awaiter(const chan_recv_awaiter&) = delete;
    chan_recv_awaiter& operator=(const chan_recv_awaiter&) = delete;

    bool await_ready() { return chan_wait_ready(w_); }
    void await_suspend(std::coroutine_handle<> h) { chan_wait_suspend(w_, h); }
    auto await_resume() {
        const int r = chan_wait_resume(w_);
        if constexpr (Timed) {
            chan_item<T> out;
            out.status = r < 0        ? chan_status::timeout
                         : op_.closed ? chan_status::closed
                                      : chan_status::ok;
            out.value = std::move(v_);
            return out;
        } else {
            return std::move(v_);  // nullopt: closed and drained
        }
    }

  private:
    chan_op op_;
    chan_op* ops_[1];
    chan_wait w_;
    std::optional<T> v_;
};

/// co_await ch.send(v) / ch.send(v, timeout).
template <class T, bool Timed>
class chan_send_awaiter {
  public:
    chan_send_awaiter(chan_impl<T>* c, T v, duration timeout) : v_(std::move(v)) {
        op_.chan = c;
        op_.owner = &w_;
        op_.slot = &v_;
        op_.is_send = true;
        ops_[0] = &op_;
        w_.ops = ops_;
        w_.n = 1;
        w_.timeout = timeout;
    }
    chan_send_awaiter(const chan_send_awaiter&) = delete;
    chan_send_awaiter& operator=(const chan_send_awaiter&) = delete;

    bool await_ready() { return chan_wait_ready(w_); }
    void await_suspend(std::coroutine_handle<> h) { chan_wait_suspend(w_, h); }
    auto await_resume() {
        const int r = chan_wait_resume(w_);
        if (r >= 0 && op_.closed) throw channel_closed{};
        if constexpr (Timed) return r >= 0;
    }

  private:
    chan_op op_;
    chan_op* ops_[1];
    chan_wait w_;
    T v_;
};

}  // namespace detail

/// A FIFO buffer of at most `capacity` values between processes, on any
/// workers. `send` suspends while the buffer is full (back pressure),
/// `receive` while it is empty; capacity 0 is a rendezvous (a send waits
/// for its receiver). Waiters are served in arrival order.
///
/// `close()`: later and waiting sends throw channel_closed; receivers take
/// what is buffered, then get nullopt (`chan_status::closed`). A value sent
/// is received exactly once, unless the receiving process is killed while it
/// is being handed over (the value then dies with its frame).
///
/// A `channel` is a handle: copies share one buffer, which lives while a
/// handle does. Pass it by value to the processes that use it (a waiting
/// operation keeps no reference of its own: the handle it was called on must
/// outlive it, which `co_await ch.receive()` on a live handle guarantees; a
/// channel destroyed under waiting processes aborts with a message).
/// `T` must be nothrow movable.
///
/// **Thread safety:** any member from any thread (waits only in processes).
/// **Suspends:** `send`, `receive` (and `select` over them); the `try_`
/// twins and `close` never do.
template <class T>
class channel {
    static_assert(std::is_nothrow_move_constructible_v<T>,
                  "coronet::channel<T>: T must be nothrow move constructible");

  public:
    /// A channel of `capacity` slots (0: rendezvous).
    explicit channel(std::size_t capacity = 0)
        : c_(std::make_shared<detail::chan_impl<T>>(capacity)) {}

    /// Sends `v`, waiting while the channel is full. Throws channel_closed
    /// (the channel is or gets closed), cancelled_error.
    [[nodiscard]] detail::chan_send_awaiter<T, false> send(T v) const {
        return {c_.get(), std::move(v), infinite};
    }
    /// As send(v), waiting at most `timeout`: true sent, false timed out.
    [[nodiscard]] detail::chan_send_awaiter<T, true> send(T v, duration timeout) const {
        return {c_.get(), std::move(v), timeout};
    }
    /// The next value, waiting while the channel is empty; nullopt once the
    /// channel is closed and drained. Throws cancelled_error.
    [[nodiscard]] detail::chan_recv_awaiter<T, false> receive() const {
        return {c_.get(), infinite};
    }
    /// As receive(), waiting at most `timeout` (status ok, closed or timeout).
    [[nodiscard]] detail::chan_recv_awaiter<T, true> receive(duration timeout) const {
        return {c_.get(), timeout};
    }

    /// Sends if a receiver waits or there is room; false otherwise (then `v`
    /// is left as it was). Throws channel_closed.
    bool try_send(T&& v) const { return try_send_ptr(&v); }
    bool try_send(const T& v) const {
        T copy(v);
        return try_send_ptr(&copy);
    }
    /// A value if one is buffered or a sender waits (ok); empty; or closed.
    chan_item<T> try_receive() const {
        chan_item<T> out;
        detail::chan_op o;
        o.chan = c_.get();
        o.slot = &out.value;
        if (!c_->try_op(o)) return out;  // empty
        out.status = o.closed ? chan_status::closed : chan_status::ok;
        return out;
    }

    /// Closes the channel (idempotent): see the class comment.
    void close() const { c_->close(); }
    bool closed() const { return c_->closed(); }
    /// Values buffered now.
    std::size_t size() const { return c_->size(); }
    std::size_t capacity() const noexcept { return c_->capacity(); }

    friend bool operator==(const channel& a, const channel& b) noexcept { return a.c_ == b.c_; }

  private:
    bool try_send_ptr(T* v) const {
        detail::chan_op o;
        o.chan = c_.get();
        o.slot = v;
        o.is_send = true;
        if (!c_->try_op(o)) return false;
        if (o.closed) throw channel_closed{};
        return true;
    }
    friend const detail::chan_ptr<T>& detail::chan_of<T>(const channel<T>&) noexcept;
    detail::chan_ptr<T> c_;
};

namespace detail {
template <class T>
const chan_ptr<T>& chan_of(const channel<T>& c) noexcept {
    return c.c_;
}
}  // namespace detail

}  // namespace coronet
