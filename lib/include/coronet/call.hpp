#pragma once
/// \file call.hpp
/// Request/response between processes, local or on other nodes
/// (SEMANTICS RPC-1, RPC-2).
///
/// ```cpp
/// // the server
/// co_await self().receive_any([](coronet::request<add> r) { coronet::reply(r, r.body.a +
/// r.body.b); });
/// // the client
/// int sum = co_await coronet::call<int>(server, add{1, 2}, 1s);
/// ```
///
/// A call gives the caller a fresh **alias** for its reply and monitors the
/// target for its duration. It ends with the reply, or throws call_error:
/// `timeout`, `noproc` (the target did not exist, or exited before it
/// replied), `noconnection` (the target's node is not connected, or was
/// lost). Once it ended, the alias is inactive: a late reply is dropped on
/// arrival, counted in runtime_stats::dropped_replies and traced through
/// runtime_config::on_drop with "alias_inactive"; it never reaches the
/// mailbox. Requests are sent once, never retried (RPC-2).
///
/// The reply must be exactly `Rep`: a reply of another type is never
/// matched, the call times out, and the stray reply is dropped (traced) when
/// the call ends. Across nodes, `Req` and `Rep` must be serializable
/// (CORONET_SERIALIZABLE, or a built-in: bool, the fixed-width integers
/// std::int8_t ... std::uint64_t, float, double, std::string, pid), and
/// default constructible. (`long long`, `char` and the like stay local:
/// on Linux `long long` and `std::int64_t` (`long`) are different types.)

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "coronet/detail/type_name.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/monitor.hpp"
#include "coronet/pid.hpp"
#include "coronet/receive.hpp"
#include "coronet/self.hpp"
#include "coronet/serialize.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {

class runtime;

/// Where a call's reply goes: the calling process and its call's alias.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct reply_address {
    pid caller;
    std::uint64_t alias = 0;

    template <class F>
    friend void fields(F& f, reply_address& a) {
        f(a.caller, a.alias);
    }
};

/// A call's request as the target receives it: `receive([](request<add> r)
/// { ... reply(r, ...); })`.
///
/// **Thread safety:** a value type. **Suspends:** never.
template <class Req>
struct request {
    Req body{};
    reply_address from;

    template <class F>
    friend void fields(F& f, request& r) {
        f(r.body, r.from);
    }
};

/// Why a call ended without a reply.
enum class call_errc { timeout = 1, noproc, noconnection };

/// "timeout", "noproc", "noconnection".
const char* to_string(call_errc e) noexcept;

/// Thrown by call() when no reply came.
///
/// **Thread safety:** a value type. **Suspends:** never.
class call_error : public std::runtime_error {
  public:
    call_error(call_errc code, const std::string& detail);
    call_errc code() const noexcept { return code_; }

  private:
    call_errc code_;
};

namespace detail {

/// The reply of a call, as it travels.
template <class Rep>
struct call_reply {
    std::uint64_t alias = 0;
    Rep value{};

    template <class F>
    friend void fields(F& f, call_reply& r) {
        f(r.alias, r.value);
    }
};

template <class Rep>
struct reply_type<call_reply<Rep>> {
    static constexpr bool is_reply = true;
    static std::uint64_t alias_of(const void* v) noexcept {
        return static_cast<const call_reply<Rep>*>(v)->alias;
    }
    static constexpr std::uint64_t (*alias)(const void*) noexcept = &alias_of;
};

/// The wire name of a type inside a request or reply: its own, or one for
/// the built-ins a call commonly carries; "" when it cannot travel.
template <class T>
constexpr std::string_view inner_wire_name() noexcept {
    if constexpr (!wire_type<T>::name.empty()) {
        return wire_type<T>::name;
    } else if constexpr (std::is_same_v<T, bool>) {
        return "bool";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return "string";
    } else if constexpr (std::is_same_v<T, pid>) {
        return "pid";
    } else if constexpr (std::is_same_v<T, double>) {
        return "f64";
    } else if constexpr (std::is_same_v<T, float>) {
        return "f32";
    } else if constexpr (std::is_same_v<T, std::int8_t>) {  // (fixed widths only: one
        return "i8";                                        //  C++ type per name)
    } else if constexpr (std::is_same_v<T, std::int16_t>) {
        return "i16";
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
        return "i32";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        return "i64";
    } else if constexpr (std::is_same_v<T, std::uint8_t>) {
        return "u8";
    } else if constexpr (std::is_same_v<T, std::uint16_t>) {
        return "u16";
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
        return "u32";
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        return "u64";
    } else {
        return {};
    }
}

inline constexpr std::string_view request_prefix = "coronet.request/";
inline constexpr std::string_view reply_prefix = "coronet.reply/";

/// Prefix + inner_wire_name<T>(), as a constant.
template <const std::string_view& Prefix, class T>
struct joined_wire_name {
    static constexpr std::string_view inner = inner_wire_name<T>();
    static constexpr std::array<char, Prefix.size() + inner.size()> chars = [] {
        std::array<char, Prefix.size() + inner.size()> a{};
        for (std::size_t i = 0; i < Prefix.size(); ++i) a[i] = Prefix[i];
        for (std::size_t i = 0; i < inner.size(); ++i) a[Prefix.size() + i] = inner[i];
        return a;
    }();
    static constexpr std::string_view value{chars.data(), chars.size()};
};

/// request<Req> and call_reply<Rep> travel when their content does; the
/// decoder is registered wherever the type is used as a message.
template <const std::string_view& Prefix, class W, class Inner>
struct wrapper_wire_type {
    static constexpr std::string_view name = joined_wire_name<Prefix, Inner>::value;
    static void encode_fn(const void* value, wire_writer& w) {
        (void)registered;  // (odr-use: registers the decoder in every program that uses W)
        encode_as<W>(value, w);
    }
    static constexpr void (*encode)(const void*, wire_writer&) = &encode_fn;
    static inline const bool registered = register_wire_type(name, &decode_as<W>, type_name<W>());
};

template <class Req>
requires(!inner_wire_name<Req>().empty()) struct wire_type<request<Req>>
    : wrapper_wire_type<request_prefix, request<Req>, Req> {
};

template <class Rep>
requires(!inner_wire_name<Rep>().empty()) struct wire_type<call_reply<Rep>>
    : wrapper_wire_type<reply_prefix, call_reply<Rep>, Rep> {
};

/// The current process starts a call: its new alias, now active. Throws
/// std::logic_error outside a process, or while it is in another call.
std::uint64_t begin_call();
/// The call `alias` ended (on the process's worker, also while its frame is
/// destroyed): the alias is inactive, and a reply of it still in the
/// mailbox is dropped (traced).
void end_call(std::uint64_t alias) noexcept;

template <class Rep>
using call_outcome = std::variant<Rep, exit_reason>;

}  // namespace detail

namespace detail {

/// The body of a call: a fresh alias, a monitor of `watched` for the
/// call's duration, `send_request(reply_address)` to send the request, then
/// the reply of type Rep or call_error. Also used by the node's own
/// requests (whereis, spawn_on), which watch the node itself.
template <class Rep, class Send>
task<Rep> call_with(pid watched, Send send_request, duration timeout) {
    struct scope {
        std::uint64_t alias = begin_call();
        monitor_ref ref{};
        ~scope() {
            if (ref) {
                try {
                    demonitor(ref, true);
                } catch (...) {  // (not in a process any more: frame destroyed at shutdown)
                }
            }
            end_call(alias);
        }
    } s;
    s.ref = monitor(watched);
    send_request(reply_address{self().id(), s.alias});
    const std::uint64_t alias = s.alias;
    const monitor_ref ref = s.ref;
    std::optional<call_outcome<Rep>> r = co_await self().receive_for(
        timeout,
        guard([alias](const call_reply<Rep>& m) { return m.alias == alias; },
              [](call_reply<Rep> m) {
                  return call_outcome<Rep>(std::in_place_index<0>, std::move(m.value));
              }),
        guard([ref](const down_msg& d) { return d.ref == ref; },
              [](down_msg d) {
                  return call_outcome<Rep>(std::in_place_index<1>, std::move(d.reason));
              }));
    if (!r) throw call_error(call_errc::timeout, "no reply from " + to_string(watched));
    if (r->index() == 0) co_return std::move(std::get<0>(*r));
    const exit_reason& why = std::get<1>(*r);
    if (why.kind == exit_kind::noconnection)
        throw call_error(call_errc::noconnection, to_string(watched) + ": " + why.detail);
    throw call_error(call_errc::noproc, to_string(watched) + " exited before it replied");
}

}  // namespace detail

/// Sends `req` to `target` as a request<Req> and waits at most `timeout`
/// for its reply (see the file comment). Inside a process; one call at a
/// time per process (a child process makes calls in parallel).
/// **Suspends:** yes; cancellation ends the call (the alias with it).
/// (GCC 12: pass a named `req`, not a temporary of a class type, inside a
/// co_await expression; GCC 12 copies such temporaries bitwise.)
template <class Rep, class Req>
task<Rep> call(pid target, Req req, duration timeout) {
    using R = std::decay_t<Req>;
    co_return co_await detail::call_with<Rep>(
        target,
        [&](const reply_address& from) {
            send(target, request<R>{std::move(req), from});
        },
        timeout);
}

/// Replies to the call `to` came from (inside a process, or any runtime
/// callback). A second reply to one call, or one after it ended, is
/// dropped at the caller (traced).
template <class Rep>
void reply(const reply_address& to, Rep&& value) {
    send(to.caller, detail::call_reply<std::decay_t<Rep>>{to.alias, std::forward<Rep>(value)});
}
template <class Req, class Rep>
void reply(const request<Req>& r, Rep&& value) {
    reply(r.from, std::forward<Rep>(value));
}

}  // namespace coronet
