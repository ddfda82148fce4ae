// A workaround for CAF 0.17.6's openssl module (TLS between nodes): it
// calls SSL_read / SSL_write / SSL_accept / SSL_connect on its one
// multiplexer thread without emptying OpenSSL's per-thread error queue
// first, then asks SSL_get_error, which reports SSL_ERROR_SSL whenever the
// queue holds anything. So one failed handshake (a stranger with a wrong
// certificate) left an error that made the next read of every healthy
// connection look failed: the node dropped all its peers (seen in the node
// tests; docs/caf017/FINDINGS.md §10). OpenSSL's documentation asks for an
// empty queue before each of these calls.
//
// These definitions interpose the four functions for the whole program
// (the program exports them because libcaf_openssl refers to them): each
// empties the calling thread's error queue, then calls OpenSSL's own. For
// every other caller (coronet's TLS streams included) that is what OpenSSL
// asks for anyway.

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>

namespace {

template <class Fn>
Fn real(const char* name) noexcept {
    void* f = ::dlvsym(RTLD_NEXT, name, "OPENSSL_3.0.0");
    if (!f) f = ::dlsym(RTLD_NEXT, name);
    if (!f) {
        std::fprintf(stderr, "coronet: cannot find OpenSSL's %s\n", name);
        std::abort();
    }
    return reinterpret_cast<Fn>(f);
}

}  // namespace

namespace coronet::net {
/// Called by node::start with TLS, so that the linker takes this file out
/// of the static library (and with it the definitions below).
bool openssl_error_queue_fix() noexcept {
    return true;
}
}  // namespace coronet::net

extern "C" {

int SSL_read(SSL* s, void* buf, int num) {
    static const auto f = real<int (*)(SSL*, void*, int)>("SSL_read");
    ERR_clear_error();
    return f(s, buf, num);
}

int SSL_write(SSL* s, const void* buf, int num) {
    static const auto f = real<int (*)(SSL*, const void*, int)>("SSL_write");
    ERR_clear_error();
    return f(s, buf, num);
}

int SSL_accept(SSL* s) {
    static const auto f = real<int (*)(SSL*)>("SSL_accept");
    ERR_clear_error();
    return f(s);
}

int SSL_connect(SSL* s) {
    static const auto f = real<int (*)(SSL*)>("SSL_connect");
    ERR_clear_error();
    return f(s);
}

}  // extern "C"
