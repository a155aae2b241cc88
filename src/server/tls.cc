#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace didban::server {
namespace {

namespace ssl = boost::asio::ssl;

// The whole file, or an error naming `flag` and the file.
absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat(flag, " ", file, ": no such file"));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": not a regular file"));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": cannot read (", std::strerror(errno), ")"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": cannot read"));
  return out.str();
}

// An encrypted key would make OpenSSL ask for a pass phrase on the terminal: none is given instead, so it fails.
int EmptyPassPhrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsServerContext(const std::string& cert_file,
                                                                   const std::string& key_file) {
  DIDBAN_ASSIGN_OR_RETURN(const std::string cert, ReadPemFile("--tls-cert", cert_file));
  DIDBAN_ASSIGN_OR_RETURN(const std::string key, ReadPemFile("--tls-key", key_file));
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  if (ec) return absl::InternalError(absl::StrCat("tls: cannot set the context's options: ", ec.message()));
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // No TLS 1.3 session tickets either: nothing resumes sessions, and a ticket sent after the handshake would hold the
  // first response back until the client acknowledged it.
  SSL_CTX_set_num_tickets(native, 0);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return absl::InternalError("tls: this OpenSSL refuses TLS 1.2 or the cipher suites");
  }
  ctx->use_certificate_chain(boost::asio::buffer(cert), ec);
  if (ec) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert ", cert_file, ": not a PEM certificate"));
  }
  // Parsed here first: OpenSSL refuses a key that does not match the certificate on the same call.
  BIO* bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  EVP_PKEY* pkey = bio == nullptr ? nullptr : PEM_read_bio_PrivateKey(bio, nullptr, EmptyPassPhrase, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", key_file, ": not a PEM private key (or one protected by a pass phrase)"));
  }
  const int used = SSL_CTX_use_PrivateKey(native, pkey);
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  if (used != 1 || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", key_file, ": does not match the certificate in ", cert_file));
  }
  return ctx;
}

}  // namespace didban::server
