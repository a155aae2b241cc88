// The center's HTTP server (Boost.Beast): REST routes, the OpenAPI document, /metrics, /healthz, /readyz and the
// live WebSockets, over a SiteBackend, in plain HTTP or over TLS (one session code for both: the sessions are templates
// on the stream). It listens on 127.0.0.1 unless told otherwise; port 0 picks a free port (port() reports it). Every
// request passes the parser's limits (header and body size, read timeout), then the router, then the guard chain
// (guards.h), then its handler. Each WebSocket has its own strand and its own hub subscription, a small bounded queue
// with the cut-off policy: a client whose queue is full is disconnected and counted, so a slow client never slows the
// site. Thread-safe; Stop() (or the destructor) ends it.
#ifndef DIDBAN_SERVER_HTTP_SERVER_H_
#define DIDBAN_SERVER_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "audit/audit_sink.h"
#include "auth/auth_store.h"
#include "didban/status.h"
#include "server/metrics.h"
#include "server/site_backend.h"

namespace didban::server {

struct ServerOptions {
  std::string address = "127.0.0.1";        // listen address; "0.0.0.0" or "::" to listen on every interface
  uint16_t port = 0;                        // 0 = a free port, see HttpServer::port()
  int threads = 2;                          // I/O threads
  uint32_t header_limit_bytes = 16 * 1024;  // request line and headers; over it: 431
  uint64_t body_limit_bytes = 1024 * 1024;  // request body; over it: 413 before the body is read
  int read_timeout_s = 30;                  // to receive one whole request (slow clients are cut), seconds
  int idle_timeout_s = 60;                  // keep-alive connection without a request, seconds
  size_t ws_queue_messages = 64;            // per WebSocket send queue; full: the client is disconnected
  int ws_max_clients = 256;                 // more live clients are refused with 503
  int ws_send_buffer_bytes = 0;             // SO_SNDBUF of WebSocket sockets; 0 = system default (tests set it)
  std::string web_root;                     // the built web UI (web/dist) served at / for GETs outside /api/; "" = none

  // Access control (server/access_policy.h): with an auth store every non-public route needs a session or a token,
  // and the auth and admin routes are served; null: every request is allowed (loopback use, `--auth off`).
  auth::AuthStore* auth = nullptr;
  audit::AuditSink* audit = nullptr;  // where accountable actions are recorded; may be null
  // Served over TLS, here (tls_cert_file) or by a TLS-terminating proxy in front: Secure cookies,
  // Strict-Transport-Security. Implied by tls_cert_file.
  bool tls = false;

  // TLS here (`didban serve --tls-cert/--tls-key`, server/tls.h): a PEM certificate chain and its PEM private key,
  // both or neither. Set: every route (REST, web UI, /metrics, WebSockets, MJPEG) is served over TLS only; a
  // client that speaks plain HTTP, fails the handshake or does not finish it within tls_handshake_timeout_s is
  // disconnected and counted (didban_tls_handshake_failures_total{reason}).
  std::string tls_cert_file;
  std::string tls_key_file;
  int tls_handshake_timeout_s = 10;

  absl::Status Validate() const;
};

class HttpServer {
 public:
  // Binds and starts the I/O threads (WebSocket clients subscribe to the backend's hub as they connect). `backend`
  // and `metrics` must outlive the server. The server adds its own metrics (HTTP requests, WebSocket clients) and the
  // site's figures (AddSiteMetrics) to `metrics`.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, SiteBackend& backend,
                                                           MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  std::string address() const;
  // "https" when serving TLS, else "http".
  std::string scheme() const;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void Stop();

  // Live WebSocket clients now, and clients disconnected because their send queue was full.
  int live_clients() const;
  uint64_t slow_disconnects() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_HTTP_SERVER_H_
