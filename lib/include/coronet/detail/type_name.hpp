#pragma once
// The readable name of a type, for traces and dead-letter logs.

#include <string_view>

namespace coronet::detail {

template <class T>
constexpr std::string_view type_name() noexcept {
    std::string_view f = __PRETTY_FUNCTION__;
    constexpr std::string_view key = "T = ";
    auto b = f.find(key);
    if (b == std::string_view::npos) return f;
    b += key.size();
    auto e = f.find_first_of(";]", b);
    return f.substr(b, e - b);
}

}  // namespace coronet::detail
