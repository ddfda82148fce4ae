#pragma once
// The test certificates the benchmarks use: the tests' own, made at build
// time by scripts/gen-test-certs.sh (target coronet_test_certs,
// cmake/test_certs.cmake) in the directory CMake passes as
// CORONET_TEST_CERTS_DIR. The tls_* rows (bench_tls.hpp) use server.pem;
// the TLS distribution rows (remote_*_tls, both executables) node.pem,
// whose extended key usage has serverAuth and clientAuth, as a node's one
// certificate must (CAF 0.17, docs/caf017/FINDINGS.md §6).

#include <fstream>
#include <stdexcept>
#include <string>

#ifndef CORONET_TEST_CERTS_DIR
#error "CORONET_TEST_CERTS_DIR must name the directory of scripts/gen-test-certs.sh's output"
#endif

namespace bench {

/// A file of the test certificates made by the build.
inline std::string test_cert(const char* name) {
    return std::string(CORONET_TEST_CERTS_DIR) + "/" + name;
}

/// test_cert(name), after checking that the file can be read: CAF 0.17
/// aborts or hangs on a missing key or certificate instead of failing
/// (docs/caf017/FINDINGS.md §6), so the remote_*_tls rows check first.
inline std::string readable_test_cert(const char* name) {
    std::string path = test_cert(name);
    if (!std::ifstream(path)) throw std::runtime_error("cannot read " + path);
    return path;
}

}  // namespace bench
