#pragma once
/// \file message.hpp
/// A view of a received message of any type, for catch-all receive handlers.

#include <string_view>

#include "coronet/detail/message_node.hpp"

namespace coronet {

/// A message whose type the handler does not fix. Pass it to a receive
/// handler by value (`[](coronet::any_message m) { ... }`) to accept every
/// message; the view is valid only during the handler.
///
/// Any movable C++ type can be a message. Values up to 32 bytes that move
/// without throwing are stored inside the mailbox node (no allocation).
///
/// **Thread safety:** none; use it inside the handler only. **Suspends:** never.
class any_message {
  public:
    explicit any_message(detail::message& m) noexcept : m_(&m) {}

    /// True when the message holds a T.
    template <class T>
    bool is() const noexcept {
        return detail::holds<T>(*m_);
    }
    /// The T inside; precondition: is<T>().
    template <class T>
    T& get() const noexcept {
        return *static_cast<T*>(m_->data());
    }
    /// The type's name, as the compiler spells it.
    std::string_view type_name() const noexcept { return m_->type->name; }

  private:
    detail::message* m_;
};

}  // namespace coronet
