// coronet's wire format (serialize.hpp): round trips, and bytes a hostile
// peer could send refused without a crash or an unbounded allocation.

#include <coronet/serialize.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/message.hpp>

namespace wiretest {

enum class side : std::uint8_t { buy, sell };

struct line {
    std::string item;
    std::uint32_t quantity = 0;
    template <class F>
    friend void fields(F& f, line& l) {
        f(l.item, l.quantity);
    }
    friend bool operator==(const line&, const line&) = default;
};

struct order {
    side s = side::buy;
    std::vector<line> lines;
    std::optional<double> limit;
    coronet::pid reply_to;
    std::map<std::string, std::int64_t> tags;
    std::tuple<bool, std::int8_t, std::uint64_t> flags;
    template <class F>
    friend void fields(F& f, order& o) {
        f(o.s, o.lines, o.limit, o.reply_to, o.tags, o.flags);
    }
    friend bool operator==(const order&, const order&) = default;
};

struct local_only {
    int x = 0;
};

struct tree {
    std::vector<tree> kids;
    template <class F>
    friend void fields(F& f, tree& t) {
        f(t.kids);
    }
};

struct empty {
    template <class F>
    friend void fields(F&, empty&) {}
};

struct nested_empties {
    std::vector<std::vector<empty>> rows;
    template <class F>
    friend void fields(F& f, nested_empties& n) {
        f(n.rows);
    }
};

enum plain_enum { red, green };

struct note {
    std::string text;
    template <class F>
    friend void fields(F& f, note& n) {
        f(n.text);
    }
};

}  // namespace wiretest

CORONET_SERIALIZABLE(wiretest::order, "coronet.test.order");
CORONET_SERIALIZABLE(wiretest::note, "coronet.test.note");
CORONET_SERIALIZABLE(wiretest::tree, "coronet.test.tree");
CORONET_SERIALIZABLE(wiretest::nested_empties, "coronet.test.nested_empties");

namespace {

using namespace coronet;
using wiretest::order;

order sample() {
    order o;
    o.s = wiretest::side::sell;
    o.lines = {{"apples", 3}, {"", 0}, {std::string(1000, 'z'), 4000000000u}};
    o.limit = -12.5;
    o.reply_to = pid{0x1122334455667788ull, 7, 3, 0x0102030405060708ull};
    o.tags = {{"a", -1}, {"b", INT64_MIN}};
    o.flags = {true, -128, UINT64_MAX};
    return o;
}

std::string encoded(const order& o) {
    detail::message* m = detail::make_message<order>(o);
    std::string bytes;
    encode_message(*m, bytes);
    detail::free_message(m);
    return bytes;
}

}  // namespace

TEST_CASE("wire: a message type round-trips, with nested structs, containers and pids",
          "[core][wire]") {
    const order o = sample();
    const std::string bytes = encoded(o);
    detail::message* m = decode_message(bytes);
    REQUIRE(detail::holds<order>(*m));
    CHECK(*static_cast<order*>(m->data()) == o);
    detail::free_message(m);
    CHECK(wire_name_of<order>() == "coronet.test.order");
}

TEST_CASE("wire: the encoding is fixed (little-endian, 32-bit lengths)", "[core][wire]") {
    detail::message* m = detail::make_message<wiretest::note>(wiretest::note{"hi"});
    std::string bytes;
    encode_message(*m, bytes);
    detail::free_message(m);
    const std::string name = "coronet.test.note";
    std::string expect;
    expect += std::string("\x11\0\0\0", 4) + name;  // the name's length (17), the name
    expect += std::string("\x02\0\0\0hi", 6);
    CHECK(bytes == expect);
}

TEST_CASE("wire: a type without CORONET_SERIALIZABLE is refused at the sender", "[core][wire]") {
    detail::message* m = detail::make_message<wiretest::local_only>(wiretest::local_only{1});
    std::string bytes;
    CHECK_THROWS_AS(encode_message(*m, bytes), not_serializable);
    CHECK_THROWS_WITH(encode_message(*m, bytes), Catch::Contains("local_only"));
    detail::free_message(m);
    CHECK_FALSE(is_wire_encodable_v<wiretest::local_only>);
    CHECK(is_wire_encodable_v<wiretest::line>);
}

TEST_CASE("wire: bytes that do not decode are refused, never trusted", "[core][wire]") {
    const std::string good = encoded(sample());
    // Every truncation of a good message: an error, no crash (ASan watches).
    for (std::size_t n = 0; n < good.size(); ++n)
        CHECK_THROWS_AS(decode_message(std::string_view(good).substr(0, n)), wire_error);
    // Bytes left over.
    CHECK_THROWS_WITH(decode_message(good + "x"), Catch::Contains("bytes left"));
    // An unknown name.
    std::string unknown = std::string("\x05\0\0\0", 4) + "nope!";
    CHECK_THROWS_WITH(decode_message(unknown), Catch::Contains("\"nope!\""));
    // A huge count with nothing behind it: refused before any allocation.
    const std::string name = "coronet.test.order";
    std::string huge = std::string("\x12\0\0\0", 4) + name;
    huge += '\x01';                              // side::sell
    huge += std::string("\xff\xff\xff\x7f", 4);  // 2^31 lines follow (they do not)
    CHECK_THROWS_WITH(decode_message(huge), Catch::Contains("length beyond"));
    // A bool that is neither 0 nor 1 (the optional's flag).
    std::string bad_bool =
        std::string("\x12\0\0\0", 4) + name + '\x00' + std::string(4, '\0') + '\x07';
    CHECK_THROWS_WITH(decode_message(bad_bool), Catch::Contains("bool"));
    // Random garbage: errors only.
    std::uint32_t x = 1;
    for (int i = 0; i < 2000; ++i) {
        std::string junk = good;
        for (int k = 0; k < 4; ++k) {
            x = x * 1664525u + 1013904223u;
            junk[(x >> 8) % junk.size()] = static_cast<char>(x >> 24);
        }
        try {
            detail::message* m = decode_message(junk);
            detail::free_message(m);  // (some changes still decode: a different order)
        } catch (const wire_error&) {
        }
    }
    SUCCEED("no crash on 2000 corrupted messages");
}

TEST_CASE("wire: deep nesting and items of no bytes are bounded", "[core][wire]") {
    // A tree 100 000 levels deep: 4 bytes per level, refused past 64 levels
    // instead of overflowing the stack.
    const std::string name = "coronet.test.tree";
    std::string deep = std::string("\x11\0\0\0", 4) + name;
    for (int i = 0; i < 100000; ++i) deep += std::string("\x01\0\0\0", 4);
    deep += std::string(4, '\0');
    CHECK_THROWS_WITH(decode_message(deep), Catch::Contains("nested too deep"));
    // Rows of empty structs: 20 000 rows of 60 000 items each (each count
    // fits in the bytes left) would be 1.2 billion items from 80 KB;
    // refused once the items outnumber the bytes.
    const std::string ne = "coronet.test.nested_empties";
    std::string wide = std::string("\x1b\0\0\0", 4) + ne;
    wide += std::string("\x20\x4e\0\0", 4);                                  // 20 000 rows
    for (int i = 0; i < 20000; ++i) wide += std::string("\x60\xea\0\0", 4);  // 60 000 each
    CHECK_THROWS_WITH(decode_message(wide), Catch::Contains("more items"));
    // A shallow tree still decodes.
    wiretest::tree t;
    t.kids.resize(3);
    t.kids[1].kids.resize(2);
    detail::message* m = detail::make_message<wiretest::tree>(t);
    std::string bytes;
    encode_message(*m, bytes);
    detail::free_message(m);
    detail::message* back = decode_message(bytes);
    CHECK(static_cast<wiretest::tree*>(back->data())->kids[1].kids.size() == 2);
    detail::free_message(back);
    // Unscoped enums are not encodable (out-of-range values would be UB).
    CHECK_FALSE(is_wire_encodable_v<wiretest::plain_enum>);
    CHECK(is_wire_encodable_v<wiretest::side>);
}
