# The target coronet_test_certs: certificates for the TLS tests and examples,
# made at build time by scripts/gen-test-certs.sh with the openssl CLI, in
# CORONET_TEST_CERTS_DIR. Included by tests/ and examples/ (defined once).

if(TARGET coronet_test_certs)
  return()
endif()
find_program(CORONET_OPENSSL_CLI openssl REQUIRED)
set(CORONET_TEST_CERTS_DIR "${PROJECT_BINARY_DIR}/test-certs" CACHE INTERNAL
  "where the TLS tests' certificates are generated")
set(_coronet_certs_script "${PROJECT_SOURCE_DIR}/scripts/gen-test-certs.sh")
add_custom_command(
  OUTPUT "${CORONET_TEST_CERTS_DIR}/ca.pem" "${CORONET_TEST_CERTS_DIR}/server.pem"
         "${CORONET_TEST_CERTS_DIR}/client.pem" "${CORONET_TEST_CERTS_DIR}/expired.pem"
         "${CORONET_TEST_CERTS_DIR}/node.pem"
  COMMAND bash "${_coronet_certs_script}" "${CORONET_TEST_CERTS_DIR}"
  DEPENDS "${_coronet_certs_script}"
  COMMENT "Generating TLS test certificates (openssl CLI)"
  VERBATIM)
add_custom_target(coronet_test_certs ALL
  DEPENDS "${CORONET_TEST_CERTS_DIR}/ca.pem" "${CORONET_TEST_CERTS_DIR}/server.pem"
          "${CORONET_TEST_CERTS_DIR}/client.pem" "${CORONET_TEST_CERTS_DIR}/expired.pem"
          "${CORONET_TEST_CERTS_DIR}/node.pem")
unset(_coronet_certs_script)
