#pragma once
/// \file receive.hpp
/// Selective receive: typed handlers, guards and timeouts.

#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/message.hpp"

namespace coronet {

/// A handler that only accepts messages for which `pred(const T&)` is true.
/// Made by `guard(pred, handler)`.
///
/// **Thread safety:** used by the receiving process only. **Suspends:**
/// never; the predicate must not suspend either (it is a plain function).
template <class Pred, class Handler>
struct guarded {
    Pred pred;
    Handler handler;
};

/// `guard([](const job& j) { return j.prio > 3; }, [](job j) { ... })`:
/// the handler matches only messages the predicate accepts; the others stay
/// in the mailbox.
template <class Pred, class Handler>
guarded<std::decay_t<Pred>, std::decay_t<Handler>> guard(Pred&& p, Handler&& h) {
    return {std::forward<Pred>(p), std::forward<Handler>(h)};
}

namespace detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) const> {
    using arg = A;
    using result = R;
};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A)> {
    using arg = A;
    using result = R;
};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) const noexcept> : callable_traits<R (C::*)(A) const> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) noexcept> : callable_traits<R (C::*)(A)> {};
template <class R, class A>
struct callable_traits<R (*)(A)> {
    using arg = A;
    using result = R;
};

template <class H>
struct handler_traits {
    using msg = std::remove_cvref_t<typename callable_traits<H>::arg>;
    using result = typename callable_traits<H>::result;
    static bool accepts(const H&, message& m) noexcept {
        if constexpr (std::is_same_v<msg, any_message>) {
            return true;
        } else {
            return holds<msg>(m);
        }
    }
    static result invoke(H& h, message& m) {
        if constexpr (std::is_same_v<msg, any_message>) {
            return h(any_message{m});
        } else {
            return h(std::move(*static_cast<msg*>(m.data())));
        }
    }
};

template <class P, class H>
struct handler_traits<guarded<P, H>> {
    using inner = handler_traits<H>;
    using msg = typename inner::msg;
    using result = typename inner::result;
    static bool accepts(const guarded<P, H>& g, message& m) noexcept {
        if (!inner::accepts(g.handler, m)) return false;
        if constexpr (std::is_same_v<msg, any_message>) {
            return static_cast<bool>(g.pred(any_message{m}));
        } else {
            return static_cast<bool>(g.pred(std::as_const(*static_cast<msg*>(m.data()))));
        }
    }
    static result invoke(guarded<P, H>& g, message& m) { return inner::invoke(g.handler, m); }
};

template <class... Hs>
using receive_result_t = std::common_type_t<typename handler_traits<Hs>::result...>;

/// Awaiter of receive(handlers...): finds the first message that some
/// handler accepts (handlers tried in order), removes it and runs that
/// handler. With a timeout, yields optional<R> (bool for void handlers).
template <bool Timed, class... Hs>
class receive_awaiter {
  public:
    using R = receive_result_t<Hs...>;
    using out =
        std::conditional_t<Timed, std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>, R>;

    receive_awaiter(duration timeout, Hs... hs) : hs_(std::move(hs)...) {
        w_.match = &match;
        w_.ctx = this;
        w_.timeout = timeout;
    }
    receive_awaiter(const receive_awaiter&) = delete;

    bool await_ready() { return receive_ready(w_); }
    void await_suspend(std::coroutine_handle<> h) { receive_suspend(w_, h); }
    out await_resume() {
        message* m = receive_take(w_);
        if constexpr (Timed) {
            if (!m) return out{};
        }
        struct guard_free {
            message* m;
            ~guard_free() { free_message(m); }
        } g{m};
        if constexpr (Timed && std::is_void_v<R>) {
            dispatch(*m);
            return true;
        } else {
            return dispatch(*m);
        }
    }

  private:
    static bool match(void* ctx, message& m) noexcept {
        auto* self = static_cast<receive_awaiter*>(ctx);
        return std::apply(
            [&](auto&... h) {
                return (handler_traits<std::decay_t<decltype(h)>>::accepts(h, m) || ...);
            },
            self->hs_);
    }
    template <std::size_t I = 0>
    R dispatch(message& m) {
        auto& h = std::get<I>(hs_);
        using tr = handler_traits<std::decay_t<decltype(h)>>;
        if constexpr (I + 1 == sizeof...(Hs)) {
            return static_cast<R>(tr::invoke(h, m));
        } else {
            if (tr::accepts(h, m)) return static_cast<R>(tr::invoke(h, m));
            return dispatch<I + 1>(m);
        }
    }

    receive_wait w_;
    std::tuple<Hs...> hs_;
};

/// Awaiter of receive<T>(): the first T in the mailbox, moved out.
template <bool Timed, class T>
class receive_one_awaiter {
  public:
    using out = std::conditional_t<Timed, std::optional<T>, T>;
    explicit receive_one_awaiter(duration timeout) {
        w_.match = &match;
        w_.ctx = nullptr;
        w_.timeout = timeout;
    }
    receive_one_awaiter(const receive_one_awaiter&) = delete;
    bool await_ready() { return receive_ready(w_); }
    void await_suspend(std::coroutine_handle<> h) { receive_suspend(w_, h); }
    out await_resume() {
        message* m = receive_take(w_);
        if constexpr (Timed) {
            if (!m) return out{};
        }
        T v = std::move(*static_cast<T*>(m->data()));
        free_message(m);
        return v;
    }

  private:
    static bool match(void*, message& m) noexcept { return holds<T>(m); }
    receive_wait w_;
};

}  // namespace detail
}  // namespace coronet
