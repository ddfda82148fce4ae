#pragma once
// The type-erased message node that mailboxes and worker inboxes link.
// Internal: users see messages only through receive handlers and any_message.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "coronet/detail/type_name.hpp"

namespace coronet {
class wire_writer;
}

namespace coronet::detail {

/// How a message type crosses nodes: CORONET_SERIALIZABLE (serialize.hpp)
/// specializes this with the type's wire name and encoder. Unspecialized:
/// the type stays on its node.
template <class T>
struct wire_type {
    static constexpr std::string_view name{};
    static constexpr void (*encode)(const void* value, wire_writer& w) = nullptr;
};

/// A call's reply type (call.hpp specializes this): where its alias is, so
/// that the receiving worker drops replies whose call is over (RPC-1).
template <class T>
struct reply_type {
    static constexpr bool is_reply = false;
    static constexpr std::uint64_t (*alias)(const void* value) noexcept = nullptr;
};

/// How a message is routed by the worker that receives it.
enum class msg_kind : std::uint8_t { user, signal };

/// One per message type: how to destroy it and what it is called. The
/// address of the descriptor is the type's identity.
struct msg_type {
    void (*destroy)(void* value) noexcept;
    std::string_view name;
    bool in_place;
    msg_kind kind;
    void (*encode)(const void* value, wire_writer& w);  ///< null: cannot leave the node
    std::string_view wire_name;                         ///< its name on the wire ("" if none)
    std::uint64_t (*reply_alias)(const void* value) noexcept;  ///< a call reply's alias
};

inline constexpr std::size_t message_inline_size = 32;

/// message::flags bits.
enum : std::uint8_t {
    msg_hooked = 1,   ///< a hooked_message: tell its hook when taken and freed
    msg_taken = 2,    ///< taken out of a mailbox by a receive
    msg_evicted = 4,  ///< removed from a mailbox by its hook's capacity (drop-oldest)
    msg_reply = 8,    ///< a call reply: dropped on arrival unless its call is active
};

/// A mailbox / inbox node. 64 bytes: small values live inside it.
struct message {
    std::atomic<message*> next{nullptr};
    const msg_type* type = nullptr;
    std::uint64_t target = 0;       ///< serial of the receiving process (routing)
    std::uint32_t target_slot = 0;  ///< its slot on the home worker
    std::uint8_t flags = 0;         ///< msg_hooked, msg_taken, msg_evicted
    alignas(8) unsigned char storage[message_inline_size];

    void* data() noexcept {
        return type->in_place ? static_cast<void*>(storage) : *reinterpret_cast<void**>(storage);
    }
};

static_assert(sizeof(message) == 64, "a message node is one cache line");

struct hooked_message;

/// Observes the life of the messages it is attached to (channels: a topic
/// subscription counts what its subscriber received, bounds what it holds,
/// and tells deliver() receipts). Calls come from whichever thread does the
/// thing, so implementations synchronise themselves; none may throw or
/// suspend.
class message_hook {
  public:
    /// On the receiver's worker: a receive took `m` out of the mailbox.
    virtual void taken(hooked_message& m) noexcept = 0;
    /// Any thread: `m` is about to be freed (flags tell taken / evicted).
    virtual void freed(hooked_message& m) noexcept = 0;
    /// On the receiver's worker, `m` just linked into a mailbox: true while
    /// older messages of this hook should be evicted from it (drop-oldest).
    virtual bool over_capacity(hooked_message&) noexcept { return false; }

  protected:
    ~message_hook() = default;
};

/// A message with a hook (flags has msg_hooked). `tag` is the hook's own.
struct hooked_message : message {
    message_hook* hook = nullptr;
    void* tag = nullptr;
};

template <class T>
inline constexpr bool fits_inline = sizeof(T) <= message_inline_size &&
                                    alignof(T) <= 8 && std::is_nothrow_move_constructible_v<T>;

template <class T>
void destroy_value(void* p) noexcept {
    if constexpr (fits_inline<T>) {
        static_cast<T*>(p)->~T();
    } else {
        delete static_cast<T*>(p);
    }
}

template <class T, msg_kind Kind = msg_kind::user>
inline constexpr msg_type msg_type_of{
    &destroy_value<T>,    type_name<T>(),     fits_inline<T>,      Kind,
    wire_type<T>::encode, wire_type<T>::name, reply_type<T>::alias};

/// Node allocation from a per-thread free list (bounded; overflow goes to
/// the heap). Never throws except std::bad_alloc.
message* alloc_message();
/// Destroys the value and recycles the node.
void free_message(message* m) noexcept;

/// A hooked node (flags = msg_hooked); free_message tells the hook.
hooked_message* alloc_hooked_message(message_hook* hook, void* tag);

/// Builds `m`'s value: a T made from `args` (frees `m` if that throws).
template <class T, msg_kind Kind = msg_kind::user, class... Args>
message* fill_message(message* m, Args&&... args) {
    try {
        if constexpr (fits_inline<T>) {
            ::new (static_cast<void*>(m->storage)) T(std::forward<Args>(args)...);
        } else {
            T* heap = new T(std::forward<Args>(args)...);
            ::new (static_cast<void*>(m->storage)) T*(heap);
        }
    } catch (...) {  // (a copy of an inline value may throw too)
        free_message(m);
        throw;
    }
    m->type = &msg_type_of<T, Kind>;
    if constexpr (reply_type<T>::is_reply) m->flags |= msg_reply;
    return m;
}

/// Builds a node holding a T made from `args`.
template <class T, msg_kind Kind = msg_kind::user, class... Args>
message* make_message(Args&&... args) {
    return fill_message<T, Kind>(alloc_message(), std::forward<Args>(args)...);
}

template <class T>
bool holds(const message& m) noexcept {
    return m.type == &msg_type_of<T>;
}

}  // namespace coronet::detail
