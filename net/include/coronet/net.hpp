#pragma once
/// \file net.hpp
/// Everything of coronet::net so far: addresses, TCP and Unix-domain
/// streams, framing, UDP.

#include "coronet/net/address.hpp"
#include "coronet/net/error.hpp"
#include "coronet/net/framing.hpp"
#include "coronet/net/tcp.hpp"
#include "coronet/net/udp.hpp"
