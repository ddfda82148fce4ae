#pragma once
/// \file net.hpp
/// Everything of coronet::net: addresses, TCP and Unix-domain streams, UDP,
/// TLS, framing, files, pipes and subprocesses.

#include "coronet/net/address.hpp"
#include "coronet/net/error.hpp"
#include "coronet/net/file.hpp"
#include "coronet/net/framing.hpp"
#include "coronet/net/hmac.hpp"
#include "coronet/net/pipe.hpp"
#include "coronet/net/subprocess.hpp"
#include "coronet/net/tcp.hpp"
#include "coronet/net/tls_context.hpp"
#include "coronet/net/tls_error.hpp"
#include "coronet/net/tls_stream.hpp"
#include "coronet/net/udp.hpp"
