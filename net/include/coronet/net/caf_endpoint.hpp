#pragma once
/// \file caf_endpoint.hpp
/// A coronet process published as a plain CAF 0.17 actor (issue 7, "CAF
/// interoperability"): an unmodified CAF 0.17 program finds it with
/// `middleman().remote_actor(host, port)` and talks to it with `request`
/// and `send`, using atoms, integers, floating point numbers, booleans and
/// strings. The process receives each CAF message as a `caf_request` and
/// answers with `caf_reply`.
///
/// The endpoint has a CAF actor_system of its own, with CAF's default
/// application identifier ("generic-caf-app"), so plain CAF programs connect
/// to it; a coronet node (node.hpp) refuses them. No CAF type appears here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "coronet/pid.hpp"

namespace coronet {
class runtime;
}

namespace coronet::net {

/// A CAF 0.17 atom (`caf::atom_value`): at most 10 characters, each a
/// letter, a digit or '_'.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct caf_atom {
    std::string name;
    friend bool operator==(const caf_atom&, const caf_atom&) = default;
};

/// One element of a CAF message, as coronet sees it.
///
/// From CAF: an atom is a caf_atom; `bool`, `std::string` and `double` stay
/// what they are, `float` becomes double; `int8_t`, `int16_t`, `int32_t`,
/// `uint8_t` and `uint16_t` arrive as std::int32_t, `uint32_t` and `int64_t`
/// as std::int64_t, `uint64_t` as std::uint64_t (no value is ever changed).
/// Any other element type (a vector, a user type, an actor handle...) is
/// not carried: the CAF sender of a request gets `sec::unexpected_message`.
///
/// To CAF: each alternative goes as exactly that C++ type, so a reply must
/// use the type the CAF client's handler expects (a client written with
/// `int` handlers wants std::int32_t: `caf_values{std::int32_t{42}}`).
using caf_value =
    std::variant<caf_atom, bool, std::int32_t, std::int64_t, std::uint64_t, double, std::string>;
/// A whole CAF message: its elements in order.
using caf_values = std::vector<caf_value>;

/// The value of any integer alternative as std::int64_t; nullopt for the
/// other alternatives and for a std::uint64_t above INT64_MAX.
std::optional<std::int64_t> caf_integer(const caf_value& v) noexcept;

/// "('add', 2, 40)": atoms quoted as CAF prints them, strings in double
/// quotes, an integer's type not shown. For logs and tests.
std::string to_string(const caf_values& v);

namespace detail {
struct caf_pending;
}

/// Identifies the CAF message that a `caf_request` carries, and who answers
/// it. Copies share one state: the first `caf_reply` (or `caf_reply_error`)
/// through any copy answers, later ones do nothing and return false.
///
/// A CAF request (`request(...)`) is owed exactly one answer, so it never
/// hangs on coronet's side: when the last copy of its token is destroyed
/// unanswered (the process ended with it in its mailbox or its frame, the
/// process had ended before the request came, or the process just dropped
/// the token), the CAF client gets `sec::request_receiver_down`; when the
/// endpoint closes first, it gets the same error then.
/// A plain `send` expects nothing: no error is ever sent for it, and a reply
/// to it reaches its sender as an ordinary message (as a CAF handler's
/// result does), or nowhere for an `anon_send` (no sender).
///
/// **Thread safety:** copy, destroy and reply from any thread, any process
/// (like a shared_ptr: one token object must not be assigned concurrently).
/// **Suspends:** never.
class caf_reply_token {
  public:
    /// A token that answers nothing (caf_reply returns false).
    caf_reply_token() noexcept = default;

    /// True when the CAF sender used `request` and waits for one response;
    /// false for a plain `send` (and for a default-constructed token).
    bool is_request() const noexcept;

  private:
    friend class caf_endpoint;
    friend bool caf_reply(const caf_reply_token& to, caf_values values);
    friend bool caf_reply_error(const caf_reply_token& to, std::string why);
    explicit caf_reply_token(std::shared_ptr<detail::caf_pending> p) noexcept;
    std::shared_ptr<detail::caf_pending> p_;
};

/// What the published process receives for each CAF message that coronet
/// can carry (see caf_value): its elements, and the token to answer with.
///
/// **Thread safety:** a value type (move it where it is needed).
/// **Suspends:** never.
struct caf_request {
    caf_values args;
    caf_reply_token from;
};

/// Answers the CAF message of `to` with a message made of `values`. True
/// when it went; false when the message was answered already, the endpoint
/// has closed, or there is no one to answer (an `anon_send`). Throws
/// std::invalid_argument for an atom that CAF 0.17 cannot hold (then
/// nothing is sent and the request stays open). Never suspends: a short
/// lock, then CAF's enqueue, which does not block.
bool caf_reply(const caf_reply_token& to, caf_values values);

/// Answers with an error instead: the CAF client's error handler gets
/// `sec::runtime_error` with `why` as its context. Same rules as caf_reply.
bool caf_reply_error(const caf_reply_token& to, std::string why);

/// How an endpoint listens.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct caf_endpoint_options {
    /// The address to listen on. CAF's protocol is plain text (there is
    /// no TLS here): an address other than loopback (127.0.0.1, ::1,
    /// localhost) is refused unless `allow_plaintext` says so.
    std::string listen_host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: the system picks one (see caf_endpoint::port)
    /// Listen in plain text beyond loopback anyway (a trusted network).
    bool allow_plaintext = false;
};

/// One coronet process published as a CAF actor on a TCP port.
///
/// Each CAF message coronet can carry becomes a `caf_request` sent to the
/// target process (from CAF's one network thread, with no scheduling hop).
/// A message with an element coronet does not carry, or with no element,
/// is not delivered: a request gets `sec::unexpected_message`, and a line
/// goes to stderr. Messages from one CAF sender arrive in the order sent.
/// There is no back pressure: a CAF client that sends faster than the
/// process receives fills the process's mailbox.
///
/// **Thread safety:** `port` and `target` from any thread. Create and
/// destroy an endpoint on the same thread (CAF 0.17's ~actor_system hangs
/// on any other: docs/caf017/FINDINGS.md §9), never from a process of the
/// runtime, and destroy it before the runtime. **Suspends:** nothing here;
/// `publish` and the destructor block the caller (the destructor for at
/// most about one second).
class caf_endpoint {
  public:
    /// Publishes `target` (a process of `rt`, on the real clock). Throws
    /// std::system_error when it cannot listen (address in use, or a
    /// non-loopback host without allow_plaintext),
    /// std::invalid_argument for a null pid, a pid of another node, or a
    /// runtime on the virtual clock.
    static std::unique_ptr<caf_endpoint> publish(runtime& rt, pid target,
                                                 caf_endpoint_options options = {});
    /// Closes: every CAF request still unanswered gets
    /// `sec::request_receiver_down`; a round trip to each CAF node that
    /// sent something (at most about 1 s in all) lets those answers reach
    /// it before the connections close. Tokens that outlive the endpoint
    /// answer nothing.
    ~caf_endpoint();
    caf_endpoint(const caf_endpoint&) = delete;
    caf_endpoint& operator=(const caf_endpoint&) = delete;

    /// The port listened on.
    std::uint16_t port() const noexcept;
    /// The published process.
    pid target() const noexcept;

    struct impl;

  private:
    explicit caf_endpoint(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> p_;
};

}  // namespace coronet::net
