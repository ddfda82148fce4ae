#pragma once
/// \file fwd.hpp
/// Forward declarations of coronet::net's public types.

namespace coronet::net {

class address;
class tcp_stream;
class tcp_listener;
class udp_socket;
class tls_context;
class tls_stream;
class pipe_reader;
class pipe_writer;
class subprocess;
class file;
struct exit_status;
struct io_result;
template <class T>
class result;
struct caf_atom;
class caf_reply_token;
struct caf_request;
struct caf_endpoint_options;
class caf_endpoint;

}  // namespace coronet::net
