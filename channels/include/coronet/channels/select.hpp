#pragma once
/// \file select.hpp
/// Waiting on several channel operations at once (CSP's alt, Go's select).

#include <array>
#include <tuple>
#include <utility>
#include <variant>

#include "coronet/channels/channel.hpp"

namespace coronet {

namespace detail {

template <class T>
struct recv_case {
    using slot_type = std::optional<T>;
    static constexpr bool is_send = false;
    chan_ptr<T> c;
};
template <class T>
struct send_case {
    using slot_type = std::monostate;
    static constexpr bool is_send = true;
    chan_ptr<T> c;
    T v;
};

}  // namespace detail

/// A receive case of select(): fires with a value, or with closed() once the
/// channel is closed and drained.
template <class T>
detail::recv_case<T> on_receive(const channel<T>& ch) {
    return {detail::chan_of(ch)};
}
/// A send case of select(): fires when `v` is sent, or with closed() when
/// the channel is closed (then `v` was not sent). A case that does not fire
/// drops its value.
template <class T>
detail::send_case<T> on_send(const channel<T>& ch, T v) {
    return {detail::chan_of(ch), std::move(v)};
}

/// What select() chose.
///
/// **Thread safety:** none (a value). **Suspends:** never.
template <class... Cs>
class select_result {
  public:
    /// The case that fired (its position in the select), -1 on timeout.
    int index() const noexcept { return index_; }
    bool timed_out() const noexcept { return index_ < 0; }
    /// The case fired because its channel is closed (a send failed; a
    /// receive found the channel drained).
    bool closed() const noexcept { return closed_; }
    /// The value received by receive case `I` (precondition: it fired and
    /// not closed()).
    template <std::size_t I>
    auto& get() noexcept {
        return *std::get<I>(values_);
    }

    int index_ = -1;
    bool closed_ = false;
    std::tuple<typename Cs::slot_type...> values_;
};

namespace detail {

/// co_await select(...): the cases' ops, queued in every channel at once.
template <class... Cs>
class select_awaiter {
    static constexpr std::size_t N = sizeof...(Cs);

  public:
    select_awaiter(duration timeout, Cs... cs) : cases_(std::move(cs)...) {
        bind(std::make_index_sequence<N>{});
        w_.ops = ptrs_.data();
        w_.n = N;
        w_.timeout = timeout;
    }
    select_awaiter(const select_awaiter&) = delete;
    select_awaiter& operator=(const select_awaiter&) = delete;

    bool await_ready() { return chan_wait_ready(w_); }
    void await_suspend(std::coroutine_handle<> h) { chan_wait_suspend(w_, h); }
    select_result<Cs...> await_resume() {
        select_result<Cs...> r;
        r.index_ = chan_wait_resume(w_);
        if (r.index_ >= 0) r.closed_ = ops_[static_cast<std::size_t>(r.index_)].closed;
        r.values_ = std::move(slots_);
        return r;
    }

  private:
    template <std::size_t... I>
    void bind(std::index_sequence<I...>) {
        (bind_one<I>(), ...);
    }
    template <std::size_t I>
    void bind_one() {
        auto& c = std::get<I>(cases_);
        chan_op& o = ops_[I];
        o.chan = c.c.get();
        o.owner = &w_;
        o.index = static_cast<std::uint16_t>(I);
        o.is_send = c.is_send;
        if constexpr (std::tuple_element_t<I, std::tuple<Cs...>>::is_send)
            o.slot = &c.v;
        else
            o.slot = &std::get<I>(slots_);
        ptrs_[I] = &o;
    }

    std::tuple<Cs...> cases_;
    std::tuple<typename Cs::slot_type...> slots_;
    std::array<chan_op, N> ops_;
    std::array<chan_op*, N> ptrs_;
    chan_wait w_;
};

}  // namespace detail

/// Waits until one of the cases can proceed and does it (exactly one fires).
/// Among cases ready at once, one is chosen at random, so none starves (on
/// the virtual clock the choice is deterministic). Throws cancelled_error.
///
/// ```
/// auto r = co_await coronet::select(on_receive(jobs), on_send(out, v));
/// if (r.index() == 0 && !r.closed()) handle(r.get<0>());
/// ```
template <class... Cs>
[[nodiscard]] detail::select_awaiter<Cs...> select(Cs... cases) {
    static_assert(sizeof...(Cs) > 0, "coronet::select needs at least one case");
    return {infinite, std::move(cases)...};
}
/// As select(), giving up after `timeout` (then timed_out()); a zero
/// timeout polls.
template <class... Cs>
[[nodiscard]] detail::select_awaiter<Cs...> select_for(duration timeout, Cs... cases) {
    static_assert(sizeof...(Cs) > 0, "coronet::select_for needs at least one case");
    return {timeout, std::move(cases)...};
}

}  // namespace coronet
