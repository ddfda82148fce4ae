#pragma once
/// \file when.hpp
/// Composition (SEMANTICS CO): when_any (`a | b`), when_all (`a & b`) and
/// when_all_settled.
///
/// Operands are tasks or process handles. Each task operand runs as a child
/// process of the composing process (CO-3), on its worker; its failure is
/// reported through the composition, not by failing the parent. Losers and,
/// on failure, the other operands are cancelled and awaited before the
/// composition returns.

#include <cstddef>
#include <exception>
#include <tuple>
#include <utility>
#include <variant>

#include "coronet/detail/process_ops.hpp"
#include "coronet/handle.hpp"
#include "coronet/outcome.hpp"
#include "coronet/self.hpp"
#include "coronet/spawn.hpp"
#include "coronet/task.hpp"

namespace coronet {

/// What when_any returns: the winner's index and its value.
///
/// **Thread safety:** a value type. **Suspends:** never.
template <class... Ts>
struct any_result {
    std::size_t index;
    std::variant<value_or_monostate<Ts>...> value;
};

namespace detail {

template <class X>
struct operand;
template <class T>
struct operand<task<T>> {
    using type = T;
    static handle<T> start(task<T>&& t) { return spawn_task(nullptr, std::move(t), {}, false); }
};
template <class T>
struct operand<handle<T>> {
    using type = T;
    static handle<T> start(handle<T>&& h) { return std::move(h); }
};
template <class X>
using operand_t = typename operand<std::remove_cvref_t<X>>::type;

template <class X>
concept composable = requires {
    typename operand<std::remove_cvref_t<X>>::type;
};

template <class T>
value_or_monostate<T> value_of(const handle<T>& h) {
    if constexpr (std::is_void_v<T>) {
        h.value();
        return {};
    } else {
        return h.value();
    }
}

template <class... Ts>
void watch_all(exit_watch& w, const std::tuple<handle<Ts>...>& hs) {
    std::apply([&](const auto&... h) { (w.add(h.get()), ...); }, hs);
}

inline void cancel_unfinished(exit_watch& w, const char* why) {
    for (std::uint32_t i = 0; i < w.size(); ++i)
        if (!w.exited(i)) cancel(pid_of(w.member(i)), why);
}

template <class... Ts, std::size_t... I>
any_result<Ts...> make_any(std::size_t winner, const std::tuple<handle<Ts>...>& hs,
                           std::index_sequence<I...>) {
    std::optional<any_result<Ts...>> out;
    ((I == winner ? (void)out.emplace(any_result<Ts...>{
                        I, std::variant<value_or_monostate<Ts>...>(std::in_place_index<I>,
                                                                   value_of(std::get<I>(hs)))})
                  : void()),
     ...);
    return std::move(*out);
}

}  // namespace detail

/// CO-1: completes with the index and value of the first operand to finish
/// (lowest index among those that finished in the same scheduling step),
/// after cancelling and awaiting the others; rethrows if the winner failed.
template <class... Ops>
requires(detail::composable<Ops>&&...) task<any_result<detail::operand_t<Ops>...>> when_any(
    Ops... ops) {
    std::tuple<handle<detail::operand_t<Ops>>...> hs{
        detail::operand<Ops>::start(std::move(ops))...};
    detail::exit_watch w;
    detail::watch_all(w, hs);
    std::exception_ptr cancelled;
    try {
        co_await w.wait(1);
    } catch (...) {
        cancelled = std::current_exception();
    }
    const std::size_t winner = w.first_exited();
    detail::cancel_unfinished(w, "when_any: another operand finished first");
    co_await w.wait(w.size(), true);
    if (cancelled) std::rethrow_exception(cancelled);
    co_return detail::make_any(winner, hs, std::index_sequence_for<Ops...>{});
}

/// CO-2: the values of all operands, in operand order. Fail-fast: the first
/// failure (in completion order) cancels and awaits the others and is
/// rethrown.
template <class... Ops>
requires(detail::composable<Ops>&&...)
    task<std::tuple<value_or_monostate<detail::operand_t<Ops>>...>> when_all(Ops... ops) {
    std::tuple<handle<detail::operand_t<Ops>>...> hs{
        detail::operand<Ops>::start(std::move(ops))...};
    detail::exit_watch w;
    detail::watch_all(w, hs);
    std::exception_ptr failure;
    std::uint32_t seen = 0;
    try {
        while (seen < w.size()) {
            co_await w.wait(seen + 1);
            for (; seen < w.exited_count(); ++seen) {
                const std::uint32_t i = w.exit_order(seen);
                if (!failure && !reason_of(w.member(i)).is_normal()) {
                    try {
                        rethrow_if_failed(w.member(i));
                    } catch (...) {
                        failure = std::current_exception();
                    }
                }
            }
            if (failure) break;
        }
    } catch (...) {
        failure = std::current_exception();  // we were cancelled
    }
    if (failure) {
        detail::cancel_unfinished(w, "when_all: another operand failed");
        co_await w.wait(w.size(), true);
        std::rethrow_exception(failure);
    }
    co_return std::apply([](const auto&... h) { return std::tuple{detail::value_of(h)...}; }, hs);
}

/// CO-2, settled form (asyncframes' `&`): waits for every operand and
/// returns each one's value or error.
template <class... Ops>
requires(detail::composable<Ops>&&...)
    task<std::tuple<outcome<detail::operand_t<Ops>>...>> when_all_settled(Ops... ops) {
    std::tuple<handle<detail::operand_t<Ops>>...> hs{
        detail::operand<Ops>::start(std::move(ops))...};
    detail::exit_watch w;
    detail::watch_all(w, hs);
    std::exception_ptr cancelled;
    try {
        co_await w.wait(w.size());
    } catch (...) {
        cancelled = std::current_exception();
    }
    if (cancelled) {
        detail::cancel_unfinished(w, "when_all_settled: the composer was cancelled");
        co_await w.wait(w.size(), true);
    }
    if (cancelled) std::rethrow_exception(cancelled);
    co_return std::apply(
        [](const auto&... h) {
            auto settle = [](const auto& hh) {
                using T = typename std::remove_cvref_t<decltype(hh)>::value_type;
                try {
                    return outcome<T>(detail::value_of(hh));
                } catch (...) {
                    return outcome<T>(std::current_exception());
                }
            };
            return std::tuple{settle(h)...};
        },
        hs);
}

/// `a | b | c` and `a & b & c`: lazy, flattened compositions; co_await them.
/// Nothing runs until the expression is awaited.
///
/// **Thread safety:** inside one process only. **Suspends:** `co_await`
/// suspends until the composition completes.
template <bool All, class... Ops>
struct compose_expr {
    std::tuple<Ops...> ops;

    auto start() && {
        return std::apply(
            [](auto&&... o) {
                if constexpr (All)
                    return when_all(std::move(o)...);
                else
                    return when_any(std::move(o)...);
            },
            std::move(ops));
    }
    auto operator co_await() && {
        using T = decltype(std::move(*this).start());
        struct awaiter {
            T t;
            decltype(std::declval<T>().operator co_await()) a;
            explicit awaiter(T&& tt) : t(std::move(tt)), a(std::move(t).operator co_await()) {}
            bool await_ready() { return a.await_ready(); }
            auto await_suspend(std::coroutine_handle<> c) { return a.await_suspend(c); }
            decltype(auto) await_resume() { return a.await_resume(); }
        };
        return awaiter{std::move(*this).start()};
    }
};

template <class A, class B>
requires(detail::composable<A>&& detail::composable<B>)
    compose_expr<false, std::remove_cvref_t<A>, std::remove_cvref_t<B>>
operator|(A&& a, B&& b) {
    return {{std::forward<A>(a), std::forward<B>(b)}};
}
template <class... Ops, class B>
requires detail::composable<B> compose_expr<false, Ops..., std::remove_cvref_t<B>>
operator|(compose_expr<false, Ops...>&& e, B&& b) {
    return {
        std::tuple_cat(std::move(e.ops), std::tuple<std::remove_cvref_t<B>>{std::forward<B>(b)})};
}
template <class A, class B>
requires(detail::composable<A>&& detail::composable<B>)
    compose_expr<true, std::remove_cvref_t<A>, std::remove_cvref_t<B>>
operator&(A&& a, B&& b) {
    return {{std::forward<A>(a), std::forward<B>(b)}};
}
template <class... Ops, class B>
requires detail::composable<B> compose_expr<true, Ops..., std::remove_cvref_t<B>>
operator&(compose_expr<true, Ops...>&& e, B&& b) {
    return {
        std::tuple_cat(std::move(e.ops), std::tuple<std::remove_cvref_t<B>>{std::forward<B>(b)})};
}

}  // namespace coronet
