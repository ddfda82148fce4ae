#pragma once
/// \file outcome.hpp
/// outcome<T>: a value or the exception that prevented it (std::expected-like).

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace coronet {

/// T, or std::monostate for void (so that results can sit in tuples).
template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The settled result of one operation: its value or its exception.
/// Used by when_all_settled (SEMANTICS CO-2).
///
/// **Thread safety:** a value type. **Suspends:** never.
template <class T>
class outcome {
  public:
    using value_type = value_or_monostate<T>;

    outcome(value_type v) : v_(std::in_place_index<0>, std::move(v)) {}
    outcome(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    /// The value; rethrows the error when there is none.
    const value_type& value() const {
        if (v_.index() == 1) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    /// The error, or nullptr.
    std::exception_ptr error() const noexcept {
        return v_.index() == 1 ? std::get<1>(v_) : nullptr;
    }

  private:
    std::variant<value_type, std::exception_ptr> v_;
};

}  // namespace coronet
