#pragma once
// The checks a node's TLS settings pass before CAF 0.17's openssl module
// gets them: it aborts the process (wrong passphrase, missing key) or hangs
// (key not matching the certificate) on bad ones (docs/caf017/FINDINGS.md
// §6). OpenSSL only; node.cpp (under src/caf/) calls it.

#include "coronet/net/node.hpp"

namespace coronet::net {

/// Throws std::system_error naming the file at fault and OpenSSL's reason:
/// a file that does not load, a wrong passphrase, a key that does not
/// match the certificate, a certificate the CAs do not verify (expired,
/// unknown issuer), or one without both serverAuth and clientAuth in its
/// extended key usage (a node's one certificate serves both ends).
void check_node_tls(const node_tls& t);

}  // namespace coronet::net
