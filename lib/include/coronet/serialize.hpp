#pragma once
/// \file serialize.hpp
/// Messages that can leave the node: coronet's own wire format, and how a
/// type opts in (no CAF type appears here; the transport carries bytes).
///
/// A type is serializable when it is one of the built-ins (integers,
/// floating point, bool, enums, std::string, std::vector, std::array,
/// std::optional, std::pair, std::tuple, std::map, pid, std::monostate;
/// enums must be scoped) or
/// a struct that lists its fields once, for both directions:
///
/// ```cpp
/// struct order {
///     std::string item;
///     int quantity = 0;
///     coronet::pid reply_to;
///     template <class F> friend void fields(F& f, order& o) { f(o.item, o.quantity, o.reply_to); }
/// };
/// CORONET_SERIALIZABLE(order, "shop.order");  // right after the type, in its header
/// ```
///
/// CORONET_SERIALIZABLE gives the type its wire name (stable across builds
/// and machines: pick it like a protocol name) and registers its decoder,
/// so that it can be sent to a remote pid and received from one. A struct
/// with only `fields` can travel inside such a message. Sending a type
/// without CORONET_SERIALIZABLE to a remote pid fails at the sender with
/// not_serializable; bytes that do not decode (unknown name, truncated,
/// lengths beyond what arrived) throw wire_error at the receiver's
/// transport, which drops them with a log line.
///
/// The format: integers and floats little-endian at their own width, bool
/// as one byte, lengths and counts as 32-bit, no padding and no alignment.
///
/// **Thread safety:** writers and readers are values, one per thread;
/// registration happens during static initialisation. **Suspends:** never.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "coronet/detail/message_node.hpp"
#include "coronet/pid.hpp"

namespace coronet {

/// Bytes that are not a valid encoding (truncated, a length beyond what
/// is there, an unknown type name).
class wire_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// A message type without CORONET_SERIALIZABLE sent to a remote pid.
class not_serializable : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

/// Appends encoded values to a string.
class wire_writer {
  public:
    explicit wire_writer(std::string& out) noexcept : out_(&out) {}
    void raw(const void* p, std::size_t n) { out_->append(static_cast<const char*>(p), n); }
    template <class I>
    void integer(I v) {
        static_assert(std::is_integral_v<I>);
        unsigned char b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        if constexpr (std::endian::native == std::endian::big) std::reverse(b, b + sizeof v);
        raw(b, sizeof v);
    }
    /// A length or count (32 bits).
    void length(std::size_t n) {
        if (n > 0xffffffffu) throw wire_error("coronet wire: a length over 4 GiB");
        integer(static_cast<std::uint32_t>(n));
    }
    std::string& buffer() noexcept { return *out_; }

  private:
    std::string* out_;
};

/// Reads encoded values from bytes; every read checks what is left.
class wire_reader {
  public:
    /// How deep values may nest (a recursive type sent by a hostile peer
    /// would otherwise overflow the reading thread's stack).
    static constexpr std::size_t max_depth = 64;

    explicit wire_reader(std::string_view in) noexcept : in_(in), items_left_(in.size() + 64) {}

    /// One level deeper for the life of the object; wire_error past
    /// max_depth.
    class nest {
      public:
        explicit nest(wire_reader& r) : r_(r) {
            if (++r_.depth_ > max_depth) {
                --r_.depth_;
                throw wire_error("coronet wire: values nested too deep");
            }
        }
        ~nest() { --r_.depth_; }
        nest(const nest&) = delete;
        nest& operator=(const nest&) = delete;

      private:
        wire_reader& r_;
    };

    /// Accounts for `n` container items about to be read: in all, a message
    /// holds at most as many items as it has bytes (plus a few), so even
    /// items of no bytes (empty structs, nested empty containers) cannot
    /// make a short message expand into a huge value.
    void count_items(std::size_t n) {
        if (n > items_left_) throw wire_error("coronet wire: more items than the message can hold");
        items_left_ -= n;
    }
    std::string_view take(std::size_t n) {
        if (n > in_.size() - pos_) throw wire_error("coronet wire: truncated");
        const std::string_view r = in_.substr(pos_, n);
        pos_ += n;
        return r;
    }
    template <class I>
    I integer() {
        static_assert(std::is_integral_v<I>);
        unsigned char b[sizeof(I)];
        std::memcpy(b, take(sizeof b).data(), sizeof b);
        if constexpr (std::endian::native == std::endian::big) std::reverse(b, b + sizeof b);
        I v;
        std::memcpy(&v, b, sizeof v);
        return v;
    }
    /// A length or count of items each at least `min_item` bytes long (at
    /// least one byte is assumed: a count of empty items is limited by the
    /// bytes left too): refused when that many cannot be in what is left,
    /// so nothing is allocated or looped over for a count a hostile peer
    /// made up.
    std::size_t length(std::size_t min_item = 1) {
        const std::size_t n = integer<std::uint32_t>();
        if (n > (in_.size() - pos_) / std::max<std::size_t>(min_item, 1))
            throw wire_error("coronet wire: a length beyond the bytes that came");
        return n;
    }
    std::size_t remaining() const noexcept { return in_.size() - pos_; }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
    std::size_t depth_ = 0;
    std::size_t items_left_;
};

/// The encoding of T: specialize for a type of your own when `fields` does
/// not fit (with static `write(wire_writer&, const T&)`,
/// `read(wire_reader&, T&)` and `min_size`, the fewest bytes a value takes).
template <class T, class = void>
struct wire_codec;

namespace detail {

/// `fields(f, t)` visitors: one writes each field, one reads each.
struct field_writer {
    wire_writer& w;
    template <class... Ts>
    void operator()(const Ts&... vs);
};
struct field_reader {
    wire_reader& r;
    template <class... Ts>
    void operator()(Ts&... vs);
};

template <class T>
concept has_fields = requires(field_writer& fw, field_reader& fr, T& t) {
    fields(fw, t);
    fields(fr, t);
};

template <class T>
concept has_codec = requires {
    wire_codec<T>::min_size;
};

}  // namespace detail

/// True when T can be written and read (built-in or with `fields`).
template <class T>
inline constexpr bool is_wire_encodable_v = detail::has_codec<std::remove_cv_t<T>>;

template <class T>
void wire_write(wire_writer& w, const T& v) {
    wire_codec<T>::write(w, v);
}
template <class T>
void wire_read(wire_reader& r, T& v) {
    const wire_reader::nest level(r);
    wire_codec<T>::read(r, v);
}

template <class... Ts>
void detail::field_writer::operator()(const Ts&... vs) {
    (wire_write(w, vs), ...);
}
template <class... Ts>
void detail::field_reader::operator()(Ts&... vs) {
    (wire_read(r, vs), ...);
}

// ---------------------------------------------------------------- built-ins

template <class T>
struct wire_codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
    static constexpr std::size_t min_size = sizeof(T);
    static void write(wire_writer& w, T v) { w.integer(v); }
    static void read(wire_reader& r, T& v) { v = r.integer<T>(); }
};

template <>
struct wire_codec<bool> {
    static constexpr std::size_t min_size = 1;
    static void write(wire_writer& w, bool v) { w.integer<std::uint8_t>(v ? 1 : 0); }
    static void read(wire_reader& r, bool& v) {
        const auto b = r.integer<std::uint8_t>();
        if (b > 1) throw wire_error("coronet wire: a bool that is neither 0 nor 1");
        v = b == 1;
    }
};

template <class T>
struct wire_codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    static_assert(sizeof(T) == sizeof(bits), "float and double only");
    static constexpr std::size_t min_size = sizeof(T);
    static void write(wire_writer& w, T v) { w.integer(std::bit_cast<bits>(v)); }
    static void read(wire_reader& r, T& v) { v = std::bit_cast<T>(r.integer<bits>()); }
};

/// Scoped enums only (`enum class`): their underlying type is fixed, so any
/// value read is a valid one; an unscoped enum without a fixed type would
/// make an out-of-range value undefined behaviour.
template <class T>
struct wire_codec<T, std::enable_if_t<std::is_enum_v<T> &&
                                      !std::is_convertible_v<T, std::underlying_type_t<T>>>> {
    using under = std::underlying_type_t<T>;
    static constexpr std::size_t min_size = sizeof(under);
    static void write(wire_writer& w, T v) { w.integer(static_cast<under>(v)); }
    static void read(wire_reader& r, T& v) { v = static_cast<T>(r.integer<under>()); }
};

template <>
struct wire_codec<std::string> {
    static constexpr std::size_t min_size = 4;
    static void write(wire_writer& w, const std::string& s) {
        w.length(s.size());
        w.raw(s.data(), s.size());
    }
    static void read(wire_reader& r, std::string& s) {
        const std::size_t n = r.length(1);
        s.assign(r.take(n));
    }
};

template <>
struct wire_codec<std::monostate> {
    static constexpr std::size_t min_size = 0;
    static void write(wire_writer&, std::monostate) {}
    static void read(wire_reader&, std::monostate&) {}
};

template <>
struct wire_codec<pid> {
    static constexpr std::size_t min_size = 24;
    static void write(wire_writer& w, const pid& p) {
        w.integer(p.node);
        w.integer(p.incarnation);
        w.integer(p.slot);
        w.integer(p.serial);
    }
    static void read(wire_reader& r, pid& p) {
        p.node = r.integer<std::uint64_t>();
        p.incarnation = r.integer<std::uint32_t>();
        p.slot = r.integer<std::uint32_t>();
        p.serial = r.integer<std::uint64_t>();
    }
};

template <class T>
struct wire_codec<std::vector<T>, std::enable_if_t<detail::has_codec<T>>> {
    static constexpr std::size_t min_size = 4;
    static void write(wire_writer& w, const std::vector<T>& v) {
        w.length(v.size());
        for (const T& x : v) wire_write(w, x);
    }
    static void read(wire_reader& r, std::vector<T>& v) {
        const std::size_t n = r.length(wire_codec<T>::min_size);
        r.count_items(n);
        v.clear();
        // (at most 1 MiB up front; it grows past that as items really come)
        v.reserve(std::min<std::size_t>(n, std::max<std::size_t>(1, (1u << 20) / sizeof(T))));
        for (std::size_t i = 0; i < n; ++i) wire_read(r, v.emplace_back());
    }
};

template <class T, std::size_t N>
struct wire_codec<std::array<T, N>, std::enable_if_t<detail::has_codec<T>>> {
    static constexpr std::size_t min_size = N * wire_codec<T>::min_size;
    static void write(wire_writer& w, const std::array<T, N>& a) {
        for (const T& x : a) wire_write(w, x);
    }
    static void read(wire_reader& r, std::array<T, N>& a) {
        for (T& x : a) wire_read(r, x);
    }
};

template <class T>
struct wire_codec<std::optional<T>, std::enable_if_t<detail::has_codec<T>>> {
    static constexpr std::size_t min_size = 1;
    static void write(wire_writer& w, const std::optional<T>& o) {
        wire_write(w, o.has_value());
        if (o) wire_write(w, *o);
    }
    static void read(wire_reader& r, std::optional<T>& o) {
        bool has = false;
        wire_read(r, has);
        if (!has) {
            o.reset();
            return;
        }
        wire_read(r, o.emplace());
    }
};

template <class A, class B>
struct wire_codec<std::pair<A, B>, std::enable_if_t<detail::has_codec<A> && detail::has_codec<B>>> {
    static constexpr std::size_t min_size = wire_codec<A>::min_size + wire_codec<B>::min_size;
    static void write(wire_writer& w, const std::pair<A, B>& p) {
        wire_write(w, p.first);
        wire_write(w, p.second);
    }
    static void read(wire_reader& r, std::pair<A, B>& p) {
        wire_read(r, p.first);
        wire_read(r, p.second);
    }
};

template <class... Ts>
struct wire_codec<std::tuple<Ts...>, std::enable_if_t<(detail::has_codec<Ts> && ...)>> {
    static constexpr std::size_t min_size = (std::size_t{0} + ... + wire_codec<Ts>::min_size);
    static void write(wire_writer& w, const std::tuple<Ts...>& t) {
        std::apply([&](const Ts&... vs) { (wire_write(w, vs), ...); }, t);
    }
    static void read(wire_reader& r, std::tuple<Ts...>& t) {
        std::apply([&](Ts&... vs) { (wire_read(r, vs), ...); }, t);
    }
};

template <class K, class V>
struct wire_codec<std::map<K, V>, std::enable_if_t<detail::has_codec<K> && detail::has_codec<V>>> {
    static constexpr std::size_t min_size = 4;
    static void write(wire_writer& w, const std::map<K, V>& m) {
        w.length(m.size());
        for (const auto& [k, v] : m) {
            wire_write(w, k);
            wire_write(w, v);
        }
    }
    static void read(wire_reader& r, std::map<K, V>& m) {
        const std::size_t n = r.length(wire_codec<K>::min_size + wire_codec<V>::min_size);
        r.count_items(n);
        m.clear();
        for (std::size_t i = 0; i < n; ++i) {
            K k{};
            V v{};
            wire_read(r, k);
            wire_read(r, v);
            m.insert_or_assign(std::move(k), std::move(v));
        }
    }
};

/// A struct with `fields`: its fields in order.
template <class T>
struct wire_codec<T, std::enable_if_t<detail::has_fields<T>>> {
    static constexpr std::size_t min_size = 0;  // (not known without a value)
    static void write(wire_writer& w, const T& v) {
        detail::field_writer f{w};
        fields(f, const_cast<T&>(v));  // (one `fields` serves both ways; writing reads only)
    }
    static void read(wire_reader& r, T& v) {
        detail::field_reader f{r};
        fields(f, v);
    }
};

// ---------------------------------------------------------------- message types

namespace detail {

/// Builds a message node holding a T read from `r` (throws wire_error).
using wire_decode_fn = message* (*)(wire_reader& r);

/// Records `name` -> `decode` (at static initialisation); a second type
/// under one name is a programming error: it is printed and the program
/// aborts.
bool register_wire_type(std::string_view name, wire_decode_fn decode,
                        std::string_view cpp_name) noexcept;
/// The decoder of `name`, or null.
wire_decode_fn find_wire_type(std::string_view name) noexcept;

template <class T>
message* decode_as(wire_reader& r) {
    T v{};
    wire_read(r, v);
    return make_message<T>(std::move(v));
}

template <class T>
void encode_as(const void* value, wire_writer& w) {
    wire_write(w, *static_cast<const T*>(value));
}

}  // namespace detail

/// The wire name of a serializable message type T ("" if none).
template <class T>
constexpr std::string_view wire_name_of() noexcept {
    return detail::wire_type<T>::name;
}

/// Encodes a message node's value: its wire name (length-prefixed), then
/// its value. Throws not_serializable for a type without a wire name.
void encode_message(const detail::message& m, std::string& out);
/// Decodes what encode_message wrote into a new message node (the
/// caller owns it). Throws wire_error (unknown name, bad bytes, bytes left
/// over).
detail::message* decode_message(std::string_view bytes);

}  // namespace coronet

/// Makes `T` a message type that can cross nodes, under `wire_name` (a
/// string literal). At namespace scope (outside any namespace), right after
/// T's definition, in the header that defines T, so that every use of T as
/// a message sees it (a translation unit that sends T without seeing it
/// breaks the one-definition rule). Only for your own types: standard types
/// such as std::string are used as messages inside coronet itself, so wrap
/// them in a struct of yours.
#define CORONET_SERIALIZABLE(T, wire_name)                                                        \
    template <>                                                                                   \
    struct coronet::detail::wire_type<T> {                                                        \
        static_assert(::coronet::is_wire_encodable_v<T>,                                          \
                      "CORONET_SERIALIZABLE: give the type a `fields` function (serialize.hpp)"); \
        static constexpr std::string_view name = wire_name;                                       \
        static constexpr auto encode = &::coronet::detail::encode_as<T>;                          \
        static inline const bool registered = ::coronet::detail::register_wire_type(              \
            wire_name, &::coronet::detail::decode_as<T>, ::coronet::detail::type_name<T>());      \
    }
