#pragma once
/// \file fwd.hpp
/// Forward declarations of coronet::net's public types.

namespace coronet::net {

class address;
class tcp_stream;
class tcp_listener;
struct io_result;
template <class T>
class result;

}  // namespace coronet::net
