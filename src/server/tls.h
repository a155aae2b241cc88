// TLS for the center's HTTP server (`didban serve --tls-cert FILE --tls-key FILE`): the OpenSSL server context every
// connection's handshake uses. TLS 1.2 at least (1.3 preferred), forward-secret AEAD cipher suites only (ECDHE with
// AES-GCM or ChaCha20-Poly1305 for TLS 1.2; OpenSSL's TLS 1.3 suites), no compression, no renegotiation, no session
// tickets, the server's cipher order. The files are checked before the server starts, and every refusal names the
// flag and the file: missing, unreadable, not PEM, or a key that does not match the certificate.
#ifndef DIDBAN_SERVER_TLS_H_
#define DIDBAN_SERVER_TLS_H_

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "didban/status.h"

namespace didban::server {

// The TLS 1.2 cipher suites offered (OpenSSL names, server order); TLS 1.3 uses OpenSSL's default suites.
inline constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A server context from a PEM certificate (a chain: the server's certificate first, then intermediates) and its PEM
// private key (unencrypted). Errors (InvalidArgument, or NotFound for a missing file) read e.g.
// "--tls-cert /etc/didban/cert.pem: no such file", "--tls-key k.pem: not a PEM private key",
// "--tls-key k.pem: does not match the certificate in c.pem".
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeTlsServerContext(const std::string& cert_file,
                                                                                const std::string& key_file);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_TLS_H_
