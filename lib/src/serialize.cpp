// The wire-type registry (name -> decoder) and encode_message /
// decode_message, the envelope body that the transport carries.

#include "coronet/serialize.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

namespace coronet {

namespace detail {

namespace {

struct wire_registry {
    std::mutex m;
    std::unordered_map<std::string, std::pair<wire_decode_fn, std::string>> by_name;
};

wire_registry& registry() {
    static wire_registry r;  // (first use may be during static initialisation)
    return r;
}

}  // namespace

bool register_wire_type(std::string_view name, wire_decode_fn decode,
                        std::string_view cpp_name) noexcept {
    wire_registry& r = registry();
    const std::lock_guard lock(r.m);
    auto [it, fresh] = r.by_name.try_emplace(std::string(name), decode, std::string(cpp_name));
    if (!fresh && it->second.second != cpp_name) {
        std::fprintf(stderr,
                     "coronet: CORONET_SERIALIZABLE: the wire name \"%.*s\" is given to both %s "
                     "and %.*s\n",
                     static_cast<int>(name.size()), name.data(), it->second.second.c_str(),
                     static_cast<int>(cpp_name.size()), cpp_name.data());
        std::abort();
    }
    return true;
}

wire_decode_fn find_wire_type(std::string_view name) noexcept {
    wire_registry& r = registry();
    const std::lock_guard lock(r.m);
    const auto it = r.by_name.find(std::string(name));
    return it == r.by_name.end() ? nullptr : it->second.first;
}

}  // namespace detail

void encode_message(const detail::message& m, std::string& out) {
    if (!m.type->encode)
        throw not_serializable("coronet: " + std::string(m.type->name) +
                               " cannot be sent to another node: give it CORONET_SERIALIZABLE "
                               "(coronet/serialize.hpp)");
    wire_writer w(out);
    w.length(m.type->wire_name.size());
    w.raw(m.type->wire_name.data(), m.type->wire_name.size());
    m.type->encode(const_cast<detail::message&>(m).data(), w);
}

detail::message* decode_message(std::string_view bytes) {
    wire_reader r(bytes);
    const std::string_view name = r.take(r.length(1));
    const detail::wire_decode_fn decode = detail::find_wire_type(name);
    if (!decode)
        throw wire_error("coronet wire: no message type is registered as \"" + std::string(name) +
                         "\" here");
    detail::message* m = decode(r);
    if (r.remaining() != 0) {
        detail::free_message(m);
        throw wire_error("coronet wire: " + std::to_string(r.remaining()) + " bytes left after \"" +
                         std::string(name) + "\"");
    }
    return m;
}

}  // namespace coronet
