// TLS on the real server (127.0.0.1, port 0) with a self-signed certificate made at test time (OpenSSL API, in a
// temporary folder; no key is committed): the context's refusals name the flag and the file; HTTPS with the
// certificate trusted and its IP checked; Secure session cookies and HSTS; the live WebSocket over TLS; a plain-HTTP
// client and a silent one are dropped and counted without taking the server down; TLS below 1.2 is refused.
#include "server/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "auth/auth_store.h"
#include "server/http_server.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr char kPassword[] = "long enough secret 1";

std::string MemPem(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// A self-signed P-256 certificate for 127.0.0.1 and localhost (valid from an hour ago for a day) and its key, PEM.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

TestCert MakeSelfSigned(const std::string& common_name) {
  TestCert out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair<int, const char*>{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                   {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x);
  out.cert_pem = MemPem(cert_bio);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = MemPem(key_bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string tls_version;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/didban_tls_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    cert_ = MakeSelfSigned("127.0.0.1");
    cert_file_ = dir_ + "/cert.pem";
    key_file_ = dir_ + "/key.pem";
    WriteFile(cert_file_, cert_.cert_pem);
    WriteFile(key_file_, cert_.key_pem);
  }
  void TearDown() override {
    server_.reset();
    auth_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(ServerOptions o) {
    o.tls_cert_file = cert_file_;
    o.tls_key_file = key_file_;
    auto s = HttpServer::Start(o, site_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    port_ = server_->port();
    ASSERT_EQ(server_->scheme(), "https");
  }

  // A client context that trusts the test certificate only.
  ssl::context ClientContext() const {
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(cert_.cert_pem));
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
  }

  // One HTTPS request on its own connection, the server's certificate checked against 127.0.0.1.
  Reply Https(http::verb method, const std::string& target, const std::string& body = "") {
    net::io_context ioc;
    ssl::context ctx = ClientContext();
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    stream.handshake(ssl::stream_base::client);
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    Reply r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    r.tls_version = SSL_get_version(stream.native_handle());
    return r;
  }

  // The value of one series in /metrics (over HTTPS), -1 when absent.
  double Metric(const std::string& series) {
    const std::string text = Https(http::verb::get, "/metrics").body;
    const size_t at = text.find(series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 1));
  }

  std::string dir_;
  TestCert cert_;
  std::string cert_file_;
  std::string key_file_;
  TestSite site_;
  MetricsRegistry metrics_;
  std::unique_ptr<auth::AuthStore> auth_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(TlsTest, ContextRefusalsNameTheFlagAndTheFile) {
  EXPECT_TRUE(MakeTlsServerContext(cert_file_, key_file_).ok());
  auto message = [](const std::string& cert, const std::string& key) {
    auto ctx = MakeTlsServerContext(cert, key);
    return ctx.ok() ? std::string("ok") : std::string(ctx.status().message());
  };
  EXPECT_EQ(message(dir_ + "/none.pem", key_file_), "--tls-cert " + dir_ + "/none.pem: no such file");
  EXPECT_EQ(message(cert_file_, dir_ + "/none.pem"), "--tls-key " + dir_ + "/none.pem: no such file");
  EXPECT_EQ(message(dir_, key_file_), "--tls-cert " + dir_ + ": not a regular file");
  WriteFile(dir_ + "/junk.pem", "not a certificate\n");
  EXPECT_EQ(message(dir_ + "/junk.pem", key_file_), "--tls-cert " + dir_ + "/junk.pem: not a PEM certificate");
  // The key where the certificate should be, and the other way round.
  EXPECT_EQ(message(key_file_, key_file_), "--tls-cert " + key_file_ + ": not a PEM certificate");
  EXPECT_EQ(message(cert_file_, cert_file_),
            "--tls-key " + cert_file_ + ": not a PEM private key (or one protected by a pass phrase)");
  const TestCert other = MakeSelfSigned("other");
  WriteFile(dir_ + "/other.key", other.key_pem);
  EXPECT_EQ(message(cert_file_, dir_ + "/other.key"),
            "--tls-key " + dir_ + "/other.key: does not match the certificate in " + cert_file_);
  // Through the server: the same refusal, and both files or neither.
  ServerOptions o;
  o.tls_cert_file = cert_file_;
  o.tls_key_file = dir_ + "/other.key";
  auto s = HttpServer::Start(o, site_, metrics_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "--tls-key " + dir_ + "/other.key: does not match the certificate in " + cert_file_);
  o.tls_key_file = "";
  EXPECT_EQ(o.Validate().message(), "--tls-cert: needs --tls-key too");
  o.tls_cert_file = "";
  o.tls_key_file = key_file_;
  EXPECT_EQ(o.Validate().message(), "--tls-key: needs --tls-cert too");
}

TEST_F(TlsTest, ServesRoutesOverHttpsWithHsts) {
  Start(ServerOptions{});
  ASSERT_TRUE(site_.AddCamera({{"name", "north"}, {"uri", "rtsp://10.0.0.1/s"}}).ok());
  const Reply health = Https(http::verb::get, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Header("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_TRUE(health.tls_version == "TLSv1.3" || health.tls_version == "TLSv1.2") << health.tls_version;
  const Reply cameras = Https(http::verb::get, "/api/v1/cameras");
  ASSERT_EQ(cameras.status, 200) << cameras.body;
  EXPECT_EQ(json::parse(cameras.body)["cameras"][0]["name"], "north");
  EXPECT_EQ(cameras.Header("Strict-Transport-Security"), "max-age=31536000");
  // A change (POST) over TLS.
  const Reply added = Https(http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "rtsp://10.0.0.2/s"})");
  EXPECT_EQ(added.status, 201) << added.body;
  // A client that does not trust the certificate fails the handshake.
  {
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    EXPECT_TRUE(ec);
  }
  // TLS 1.1 is refused; the server goes on.
  {
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    EXPECT_TRUE(ec);
  }
  EXPECT_EQ(Https(http::verb::get, "/healthz").status, 200);
}

TEST_F(TlsTest, SessionCookieIsSecure) {
  auth::AuthOptions ao;
  ao.pwhash_opslimit = 1;
  ao.pwhash_memlimit_bytes = 8192;
  auto st = auth::AuthStore::Open(dir_ + "/auth.db", ao);
  ASSERT_TRUE(st.ok()) << st.status();
  auth_ = std::move(*st);
  ASSERT_TRUE(auth_->AddUser("ada", auth::Role::kAdmin, kPassword).ok());
  ServerOptions o;
  o.auth = auth_.get();
  Start(o);
  const Reply login =
      Https(http::verb::post, "/api/v1/auth/login", json{{"username", "ada"}, {"password", kPassword}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = login.Header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("didban_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_EQ(login.Header("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(Https(http::verb::get, "/api/v1/cameras").status, 401);  // access control works the same over TLS
}

TEST_F(TlsTest, LiveWebSocketOverTls) {
  Start(ServerOptions{});
  net::io_context ioc;
  ssl::context ctx = ClientContext();
  websocket::stream<beast::ssl_stream<tcp::socket>> ws(ioc, ctx);
  ws.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("127.0.0.1", "/api/v1/live?topics=event");
  for (int i = 0; i < 500 && site_.hub().Stats().subscribers < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(site_.hub().Stats().subscribers, 1);
  EXPECT_EQ(server_->live_clients(), 1);
  Event e;
  e.camera = "north";
  e.type = "line_cross";
  e.time_us = 42;
  site_.hub().Publish(e);
  beast::flat_buffer buffer;
  ws.read(buffer);
  const json m = json::parse(beast::buffers_to_string(buffer.data()));
  EXPECT_EQ(m["topic"], "event");
  EXPECT_EQ(m["data"]["camera"], "north");
  EXPECT_EQ(m["data"]["time_us"], 42);
  ws.close(websocket::close_code::normal);
  for (int i = 0; i < 500 && server_->live_clients() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->live_clients(), 0);
}

TEST_F(TlsTest, PlainHttpIsDroppedAndCountedAndTheServerGoesOn) {
  Start(ServerOptions{});
  for (int round = 0; round < 3; ++round) {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    net::write(socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
    std::string got;
    beast::error_code ec;
    std::array<char, 256> chunk{};
    for (size_t n = 0; !ec;) {
      n = socket.read_some(net::buffer(chunk), ec);
      got.append(chunk.data(), n);
    }
    EXPECT_EQ(ec, net::error::eof) << ec.message();  // closed in order (FIN), not reset
    EXPECT_EQ(got, "");
    EXPECT_EQ(Https(http::verb::get, "/healthz").status, 200);  // the next HTTPS request works
  }
  EXPECT_EQ(Metric("didban_tls_handshake_failures_total{reason=\"plain_http\"}"), 3);
}

TEST_F(TlsTest, SilentClientIsCutAfterTheHandshakeTimeout) {
  ServerOptions o;
  o.tls_handshake_timeout_s = 1;
  Start(o);
  net::io_context ioc;
  tcp::socket silent(ioc);
  silent.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  // Another client that stops in the middle of its ClientHello.
  tcp::socket partial(ioc);
  partial.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  net::write(partial, net::buffer(std::string("\x16\x03\x01\x02\x00\x01", 6)));
  const auto t0 = std::chrono::steady_clock::now();
  std::array<char, 16> chunk{};
  beast::error_code ec;
  silent.read_some(net::buffer(chunk), ec);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  EXPECT_GE(waited, 0.8);
  EXPECT_LT(waited, 3.0);
  ec = {};
  partial.read_some(net::buffer(chunk), ec);
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  EXPECT_EQ(Https(http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(Metric("didban_tls_handshake_failures_total{reason=\"timeout\"}"), 2);
}

}  // namespace
}  // namespace didban::server
