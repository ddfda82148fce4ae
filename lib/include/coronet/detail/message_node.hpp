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

namespace coronet::detail {

/// How a message is routed by the worker that receives it.
enum class msg_kind : std::uint8_t { user, signal };

/// One per message type: how to destroy it and what it is called. The
/// address of the descriptor is the type's identity.
struct msg_type {
    void (*destroy)(void* value) noexcept;
    std::string_view name;
    bool in_place;
    msg_kind kind;
};

inline constexpr std::size_t message_inline_size = 32;

/// A mailbox / inbox node. 64 bytes: small values live inside it.
struct message {
    std::atomic<message*> next{nullptr};
    const msg_type* type = nullptr;
    std::uint64_t target = 0;       ///< serial of the receiving process (routing)
    std::uint32_t target_slot = 0;  ///< its slot on the home worker
    alignas(8) unsigned char storage[message_inline_size];

    void* data() noexcept {
        return type->in_place ? static_cast<void*>(storage) : *reinterpret_cast<void**>(storage);
    }
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
inline constexpr msg_type msg_type_of{&destroy_value<T>, type_name<T>(), fits_inline<T>, Kind};

/// Node allocation from a per-thread free list (bounded; overflow goes to
/// the heap). Never throws except std::bad_alloc.
message* alloc_message();
/// Destroys the value and recycles the node.
void free_message(message* m) noexcept;

/// Builds a node holding a T made from `args`.
template <class T, msg_kind Kind = msg_kind::user, class... Args>
message* make_message(Args&&... args) {
    message* m = alloc_message();
    m->type = &msg_type_of<T, Kind>;
    if constexpr (fits_inline<T>) {
        ::new (static_cast<void*>(m->storage)) T(std::forward<Args>(args)...);
    } else {
        try {
            T* heap = new T(std::forward<Args>(args)...);
            ::new (static_cast<void*>(m->storage)) T*(heap);
        } catch (...) {
            m->type = nullptr;
            free_message(m);
            throw;
        }
    }
    return m;
}

template <class T>
bool holds(const message& m) noexcept {
    return m.type == &msg_type_of<T>;
}

}  // namespace coronet::detail
