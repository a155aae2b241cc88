#include "server/http_server.h"

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bus/messages.h"
#include "server/access_policy.h"
#include "server/api_error.h"
#include "server/api_routes.h"
#include "server/auth_routes.h"
#include "server/guards.h"
#include "server/live_video.h"
#include "server/request_reader.h"
#include "server/router.h"
#include "server/static_files.h"
#include "server/station_proxy.h"
#include "server/tls.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"

namespace didban::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::Status ServerOptions::Validate() const {
  boost::system::error_code ec;
  net::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("server address '", address, "': not an IP address"));
  if (threads < 1 || threads > 64) return absl::InvalidArgumentError("server threads: must be 1..64");
  if (header_limit_bytes < 1024) return absl::InvalidArgumentError("server header_limit_bytes: must be >= 1024");
  if (body_limit_bytes < 1024) return absl::InvalidArgumentError("server body_limit_bytes: must be >= 1024");
  if (read_timeout_s < 1 || idle_timeout_s < 1) return absl::InvalidArgumentError("server timeouts: must be >= 1 s");
  if (ws_queue_messages < 1) return absl::InvalidArgumentError("server ws_queue_messages: must be >= 1");
  if (ws_max_clients < 1) return absl::InvalidArgumentError("server ws_max_clients: must be >= 1");
  if (ws_send_buffer_bytes < 0) return absl::InvalidArgumentError("server ws_send_buffer_bytes: must be >= 0");
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return absl::InvalidArgumentError(tls_cert_file.empty() ? "--tls-key: needs --tls-cert too"
                                                            : "--tls-cert: needs --tls-key too");
  }
  if (tls_handshake_timeout_s < 1) return absl::InvalidArgumentError("server tls_handshake_timeout_s: must be >= 1");
  return absl::OkStatus();
}

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const ServerOptions& options, SiteBackend& backend, MetricsRegistry& metrics)
      : options(options),
        backend(backend),
        metrics(metrics),
        ws_clients(metrics.AddGauge("didban_ws_clients", "Live WebSocket clients").WithLabels({})),
        ws_slow(metrics
                    .AddCounter("didban_ws_slow_disconnects_total",
                                "WebSocket clients disconnected because their send queue was full")
                    .WithLabels({})),
        ws_sent(metrics.AddCounter("didban_ws_messages_sent_total", "Messages written to WebSocket clients")
                    .WithLabels({})),
        ioc(options.threads),
        acceptor(net::make_strand(ioc)) {}

  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  ServerOptions options;
  SiteBackend& backend;
  MetricsRegistry& metrics;
  Gauge& ws_clients;
  Counter& ws_slow;
  Counter& ws_sent;
  std::atomic<uint64_t> slow_count{0};
  Router router;
  std::unique_ptr<AccessPolicy> access;  // when ServerOptions::auth is set
  std::unique_ptr<GuardChain> chain;
  std::optional<StaticFiles> web;           // the web UI, when ServerOptions::web_root is set
  std::unique_ptr<net::ssl::context> ssl;   // TLS: the handshakes' context (ServerOptions::tls_cert_file)
  Family<Counter>* tls_failures = nullptr;  // TLS: didban_tls_handshake_failures_total{reason}
  std::atomic<int> live{0};                 // WebSocket clients now
  // Closed by Stop() before the I/O threads end, so a publisher's on_ready never posts to a stopped io_context.
  struct PostGate {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<PostGate> gate = std::make_shared<PostGate>();
  std::mutex stop_mu;
  bool stopped = false;
  net::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

namespace {

// The streams a connection runs over: plain TCP, or TLS over TCP. Every session below is a template on the stream, so
// plain and TLS connections share one code; only the handshake and the orderly close differ (`if constexpr`).
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// SO_SNDBUF of a live connection when the server sets one (tests do).
void SetSendBuffer(beast::tcp_stream& tcp, const ServerOptions& options) {
  if (options.ws_send_buffer_bytes <= 0) return;
  beast::error_code ec;
  tcp.socket().set_option(net::socket_base::send_buffer_size(options.ws_send_buffer_bytes), ec);
}

// A producer's on_ready for a live session: only posts Pump() to the session's strand, and nothing once the server
// has closed its gate (Stop()), so a publisher never posts to a stopped io_context.
template <class Session, class Executor>
std::function<void()> MakeWaker(const std::weak_ptr<Session>& weak, const Executor& executor,
                                const std::shared_ptr<HttpServer::Impl::PostGate>& gate) {
  return [weak, executor, gate] {
    std::lock_guard<std::mutex> lock(gate->mu);
    if (!gate->open) return;
    if (auto self = weak.lock()) net::post(executor, [self] { self->Pump(); });
  };
}

// What the server's WebSocket sessions share: the accept with the server's settings, a read loop that drops what the
// client sends (so pings and close frames are answered), one write at a time, and dropping the connection. `Derived`
// provides OnAccept(ec), Pump() (on the strand: write the next queued message unless one is in flight), OnSent() and
// Finish() (the connection ended: release the producer's queue).
template <class Derived, class Stream>
class WsBase : public std::enable_shared_from_this<Derived> {
 protected:
  WsBase(Stream&& stream, HttpServer::Impl& server) : ws_(std::move(stream)), server_(server) {}

  // Accepts the upgrade `req`, then Derived::OnAccept.
  void Accept(const http::request<http::string_body>& req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "didban"); }));
    SetSendBuffer(beast::get_lowest_layer(ws_), server_.options);
    ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) { self->OnAccept(ec); });
  }

  std::function<void()> Waker() { return MakeWaker(this->weak_from_this(), ws_.get_executor(), server_.gate); }

  void Read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->Finish();
        return;
      }
      self->in_.consume(self->in_.size());
      self->Read();
    });
  }

  // Writes one message; then OnSent() and Pump(), or Finish() on an error.
  void Write(std::shared_ptr<const std::string> bytes, bool text) {
    writing_ = true;
    ws_.text(text);
    ws_.async_write(net::buffer(*bytes), [self = this->shared_from_this(), bytes](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) {
        self->Finish();
        return;
      }
      self->OnSent();
      self->Pump();
    });
  }

  // Drops the connection without a close handshake (the client is not reading; a close frame would queue too).
  void DropConnection() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
    static_cast<Derived&>(*this).Finish();
  }

  websocket::stream<Stream> ws_;
  HttpServer::Impl& server_;
  beast::flat_buffer in_;
  bool writing_ = false;  // strand only
  bool done_ = false;     // strand only
};

// One WebSocket client with its own hub subscription (the bounded send queue, policy kCutOff). The hub calls
// on_ready from the publisher's thread; that only posts Pump() to this connection's strand, which writes queued
// messages one at a time. When the hub cuts the subscription off (queue full: the client is not reading fast enough)
// the socket is closed and counted.
template <class Stream>
class WsSession : public WsBase<WsSession<Stream>, Stream> {
  using Base = WsBase<WsSession<Stream>, Stream>;
  friend Base;

 public:
  WsSession(Stream&& stream, HttpServer::Impl& server, bus::SubscriberOptions options)
      : Base(std::move(stream), server), options_(std::move(options)) {
    this->server_.live.fetch_add(1);
    this->server_.ws_clients.Add(1);
  }
  ~WsSession() {
    this->server_.live.fetch_sub(1);
    this->server_.ws_clients.Add(-1);
  }
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void Run(const http::request<http::string_body>& req) { this->Accept(req); }

  // On the strand (the hub's wake-up posts it): cut a slow client, or write the next queued message unless a write
  // is in flight.
  void Pump() {
    if (this->done_ || !sub_) return;
    if (sub_->CutOff()) {
      this->server_.ws_slow.Inc();
      this->server_.slow_count.fetch_add(1);
      spdlog::info("live client {} cut off: send queue full ({} messages)", options_.name, options_.capacity);
      this->DropConnection();
      return;
    }
    if (this->writing_) return;
    auto msg = sub_->TryPop();
    if (!msg) {
      if (sub_->Closed()) this->DropConnection();  // the hub closed
      return;
    }
    this->Write(std::make_shared<const std::string>(
                    bus::MessageToJson(*msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
                true);
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) return;
    options_.on_ready = this->Waker();
    auto sub = this->server_.backend.Subscribe(options_);
    if (!sub.ok()) {
      spdlog::warn("live client {}: {}", options_.name, std::string(sub.status().message()));
      this->ws_.async_close(websocket::close_code::try_again_later,
                            [self = this->shared_from_this()](beast::error_code) {});
      return;
    }
    sub_ = std::move(*sub);
    this->Read();
    Pump();
  }

  void OnSent() { this->server_.ws_sent.Inc(); }

  void Finish() {
    this->done_ = true;
    if (sub_) sub_->Close();
  }

  bus::SubscriberOptions options_;
  std::unique_ptr<bus::Subscription> sub_;
};

// A viewer of one camera's live fMP4 (route kLiveMp4Path): a WebSocket fed by a LiveViewer's bounded queue (text
// init messages, binary init segments and fragments). The producer's on_ready only posts Pump() to this strand. A
// viewer that LiveVideo cuts off (it skipped to the next keyframe too often) is disconnected and counted there.
template <class Stream>
class LiveMp4Session : public WsBase<LiveMp4Session<Stream>, Stream> {
  using Base = WsBase<LiveMp4Session<Stream>, Stream>;
  friend Base;

 public:
  // `unmasked`: the camera without its privacy masks (the caller was allowed and audited).
  LiveMp4Session(Stream&& stream, HttpServer::Impl& server, LiveVideo* video, std::string camera, bool unmasked)
      : Base(std::move(stream), server), video_(video), camera_(std::move(camera)), unmasked_(unmasked) {}
  ~LiveMp4Session() {
    if (viewer_) viewer_->Close();
  }
  LiveMp4Session(const LiveMp4Session&) = delete;
  LiveMp4Session& operator=(const LiveMp4Session&) = delete;

  void Run(const http::request<http::string_body>& req) {
    // One frame per message (no 4 KiB fragments): one write per fragment for each viewer.
    this->ws_.auto_fragment(false);
    this->Accept(req);
  }

  // On the strand (the producer's wake-up posts it).
  void Pump() {
    if (this->done_ || !viewer_) return;
    if (viewer_->CutOff()) {
      spdlog::info("live video viewer of {} cut off: too slow", camera_);
      this->DropConnection();
      return;
    }
    if (this->writing_) return;
    std::optional<LiveMessage> m = viewer_->TryPop();
    if (!m) return;
    this->Write(m->bytes, m->text);
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) return;
    if (unmasked_) spdlog::info("live video of {}: watched without its privacy masks", camera_);
    auto viewer = video_->WatchMp4(camera_, this->Waker(), unmasked_);
    if (!viewer.ok()) {
      spdlog::warn("live video of {}: {}", camera_, std::string(viewer.status().message()));
      this->ws_.async_close(websocket::close_code::try_again_later,
                            [self = this->shared_from_this()](beast::error_code) {});
      return;
    }
    viewer_ = std::move(*viewer);
    this->Read();
    Pump();
  }

  void OnSent() {}

  void Finish() {
    this->done_ = true;
    if (viewer_) viewer_->Close();
  }

  LiveVideo* const video_;
  const std::string camera_;
  const bool unmasked_;
  std::shared_ptr<LiveViewer> viewer_;
};

// A viewer of one camera's MJPEG (route kLiveMjpegPath, after its handler said 200): the reply's header, then one
// multipart part per JPEG frame from a LiveViewer's bounded queue (the oldest frame is dropped when it is full), until
// the client goes away.
template <class Stream>
class MjpegSession : public std::enable_shared_from_this<MjpegSession<Stream>> {
 public:
  MjpegSession(Stream&& stream, HttpServer::Impl& server, LiveVideo* video, std::string camera)
      : stream_(std::move(stream)), server_(server), video_(video), camera_(std::move(camera)) {}
  ~MjpegSession() {
    if (viewer_) viewer_->Close();
  }
  MjpegSession(const MjpegSession&) = delete;
  MjpegSession& operator=(const MjpegSession&) = delete;

  void Run(const ApiResponse& resp) {
    beast::get_lowest_layer(stream_).expires_never();
    SetSendBuffer(beast::get_lowest_layer(stream_), server_.options);
    auto header = std::make_shared<std::string>(
        absl::StrCat("HTTP/1.1 200 OK\r\nServer: didban\r\nContent-Type: ", resp.content_type,
                     "\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n"));
    for (const auto& [k, v] : resp.headers) absl::StrAppend(header.get(), k, ": ", v, "\r\n");
    header->append("\r\n");
    auto viewer = video_->WatchMjpeg(camera_, MakeWaker(this->weak_from_this(), stream_.get_executor(), server_.gate));
    if (!viewer.ok()) {
      spdlog::warn("MJPEG of {}: {}", camera_, std::string(viewer.status().message()));
      Close();
      return;
    }
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this(), viewer = std::move(*viewer), header] {
      self->viewer_ = viewer;
      self->writing_ = true;
      net::async_write(self->stream_, net::buffer(*header), [self, header](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (ec) {
          self->Close();
          return;
        }
        self->Read();
        self->Pump();
      });
    });
  }

  // On the strand (the MJPEG thread's wake-up posts it).
  void Pump() {
    if (done_ || !viewer_) return;
    if (viewer_->CutOff()) {
      spdlog::info("MJPEG viewer of {} cut off: not reading", camera_);
      Close();
      return;
    }
    if (writing_) return;
    std::optional<LiveMessage> m = viewer_->TryPop();
    if (!m) return;
    writing_ = true;
    net::async_write(stream_, net::buffer(*m->bytes),
                     [self = this->shared_from_this(), bytes = m->bytes](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) {
                         self->Close();
                         return;
                       }
                       self->Pump();
                     });
  }

 private:
  // Whatever the client sends is dropped; its end (or an error) ends the stream.
  void Read() {
    stream_.async_read_some(net::buffer(in_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->Close();
        return;
      }
      self->Read();
    });
  }

  // The stream ends with the connection (no TLS close_notify: the client may be the one not reading).
  void Close() {
    done_ = true;
    if (viewer_) viewer_->Close();
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  LiveVideo* const video_;
  const std::string camera_;
  std::shared_ptr<LiveViewer> viewer_;
  std::array<char, 512> in_{};
  bool writing_ = false;  // strand only
  bool done_ = false;     // strand only
};

// One HTTP connection: under TLS first the handshake (with its timeout; a client speaking plain HTTP is disconnected
// and counted), then reads requests with the size limits and timeouts, answers them in order (keep-alive), and hands
// WebSocket upgrades and MJPEG streams to their sessions with the connection's stream.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  // `args` make the stream: the accepted socket, and for TLS the server's context.
  template <class... Args>
  explicit HttpSession(HttpServer::Impl& server, Args&&... args)
      : stream_(std::forward<Args>(args)...), server_(server) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) remote_ = absl::StrCat(ep.address().to_string(), ":", ep.port());
    // Replies, TLS records and live messages go out as written (no Nagle wait for the client's delayed ACK).
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
  }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kIsTls<Stream>) {
        self->Handshake();
      } else {
        self->Read();
      }
    });
  }

 private:
  // TLS only: tells a TLS ClientHello from anything else by its first bytes, then the handshake, all within
  // tls_handshake_timeout_s.
  void Handshake() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_.options.tls_handshake_timeout_s));
    beast::async_detect_ssl(beast::get_lowest_layer(stream_), buffer_,
                            [self = this->shared_from_this()](beast::error_code ec, bool tls) {
                              if (ec) {
                                self->HandshakeFailed(ec == beast::error::timeout ? "timeout" : "error", ec);
                              } else if (!tls) {
                                self->HandshakeFailed("plain_http", ec);
                              } else {
                                self->StartTls();
                              }
                            });
  }

  void StartTls() {
    if constexpr (kIsTls<Stream>) {
      stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) {
                                  self->HandshakeFailed(ec == beast::error::timeout ? "timeout" : "error", ec);
                                  return;
                                }
                                self->buffer_.consume(used);
                                self->tls_up_ = true;
                                self->Read();
                              });
    }
  }

  // Counts and logs (debug) a client that did not complete the TLS handshake, and drops it. A plain-HTTP request's
  // bytes are read first (up to 64 KiB), so the close is a FIN, not a reset.
  void HandshakeFailed(const std::string& reason, beast::error_code ec) {
    if (server_.tls_failures != nullptr) server_.tls_failures->WithLabels({reason}).Inc();
    spdlog::debug("tls: client {} disconnected before the handshake: {}{}", remote_, reason,
                  ec ? absl::StrCat(" (", ec.message(), ")") : "");
    auto& socket = beast::get_lowest_layer(stream_).socket();
    beast::error_code drain;
    std::array<char, 4096> sink{};
    for (size_t n = 0; n < 64 * 1024 && socket.available(drain) > 0 && !drain;) {
      n += socket.read_some(net::buffer(sink), drain);
    }
    CloseSocket(tcp::socket::shutdown_both);
  }

  void Read() {
    parser_.emplace();
    ConfigureRequestParser(*parser_, server_.options);
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(first_ ? server_.options.read_timeout_s : server_.options.idle_timeout_s));
    first_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == net::ssl::error::stream_truncated || ec.category() == net::error::get_ssl_category()) {
      CloseSocket(tcp::socket::shutdown_both);  // the TLS layer failed: nothing more can be sent on it
      return;
    }
    if (ec) {
      // A refusal (413, 431, 400) is answered and the connection closed; an end, a timeout or a reset just closes.
      if (std::optional<ApiResponse> refusal = ReadRefusal(ec, server_.options)) {
        Refuse(std::move(*refusal));
      } else {
        Close();
      }
      return;
    }
    http::request<http::string_body> req = parser_->release();
    if (websocket::is_upgrade(req)) {
      Upgrade(std::move(req));
      return;
    }
    const Route* route = nullptr;
    ApiRequest api;
    ApiResponse resp = HandleRequest(server_.router, *server_.chain, server_.web ? &*server_.web : nullptr, req,
                                     remote_, &route, &api);
    if (route != nullptr && route->path == kLiveMjpegPath && resp.status == 200 && server_.backend.Video() != nullptr) {
      std::make_shared<MjpegSession<Stream>>(std::move(stream_), server_, server_.backend.Video(),
                                             api.path_params.at("camera"))
          ->Run(resp);
      return;
    }
    // A center's proxied video (server/station_proxy.h): the station's answer is streamed on this connection.
    if (route != nullptr && resp.status == 200 && IsStationStreamRoute(*route)) {
      RelayStationHttp(std::move(stream_), server_.backend.Stations(), api, std::move(resp), req.version());
      return;
    }
    Send(std::move(resp), req.version(), req.keep_alive());
  }

  // `?unmask=1` on the live fMP4: only an admin (or anyone when access control is off) may watch a camera without
  // its privacy masks; both the view and a refusal are audited ("live_view_unmasked").
  absl::StatusOr<bool> Unmasked(const ApiRequest& api, const std::string& camera) {
    auto it = api.query.find("unmask");
    if (it == api.query.end()) return false;
    DIDBAN_ASSIGN_OR_RETURN(const bool unmask, ParseBool("unmask", it->second));
    if (!unmask) return false;
    const bool allowed = server_.access == nullptr || (api.principal && api.principal->role == auth::Role::kAdmin);
    if (server_.options.audit != nullptr) {
      audit::AuditEntry e;
      e.actor = api.principal ? api.principal->Actor() : "anonymous";
      e.action = "live_view_unmasked";
      e.target = absl::StrCat("camera:", camera);
      e.source = api.remote;
      e.allowed = allowed;
      e.detail = {{"path", api.path}, {"request_id", api.request_id}};
      server_.options.audit->Record(std::move(e));
    }
    if (!allowed) {
      return FieldError(absl::StatusCode::kPermissionDenied, "unmask",
                        "unmask: only an admin may watch a camera without its privacy masks");
    }
    return true;
  }

  void Upgrade(http::request<http::string_body> req) {
    const auto t0 = std::chrono::steady_clock::now();
    ApiRequest api;
    ApiResponse resp;
    const Route* route = nullptr;
    absl::Status st = AdmitUpgrade(server_.router, *server_.chain, req, remote_, &route, &api);
    if (st.ok() && route->path == kLiveMp4Path) {
      const std::string camera = api.path_params.at("camera");
      st = server_.backend.Camera(camera).status();
      if (st.ok() && server_.backend.Video() == nullptr) {
        st = absl::UnimplementedError("live video: not available on this site");
      }
      absl::StatusOr<bool> unmasked = false;
      if (st.ok()) {
        unmasked = Unmasked(api, camera);
        st = unmasked.status();
      }
      if (st.ok()) {
        resp.status = 101;
        server_.chain->Finish(api, route, resp, SecondsSince(t0));
        std::make_shared<LiveMp4Session<Stream>>(std::move(stream_), server_, server_.backend.Video(), camera,
                                                 *unmasked)
            ->Run(req);
        return;
      }
    }
    if (st.ok() && IsStationWebSocketRoute(*route)) {  // a station camera's live video, relayed (station_proxy.h)
      StationCall call;
      std::optional<ApiResponse> refused = AdmitStationUpgrade(server_.backend.Stations(), api, &call);
      resp = refused ? std::move(*refused) : ApiResponse{101};
      server_.chain->Finish(api, route, resp, SecondsSince(t0));
      if (refused) {
        Send(std::move(resp), req.version(), false);
      } else {
        RelayStationWebSocket(std::move(stream_), std::move(call), std::move(req));
      }
      return;
    }
    bus::SubscriberOptions sub;
    sub.name = absl::StrCat("ws ", remote_);
    sub.capacity = server_.options.ws_queue_messages;
    sub.on_full = bus::SlowPolicy::kCutOff;
    if (st.ok()) {
      if (auto it = api.query.find("topics"); it != api.query.end()) {
        sub.topics = 0;
        for (absl::string_view t : absl::StrSplit(it->second, ',')) {
          bool known = false;
          for (bus::Topic topic :
               {bus::Topic::kEvent, bus::Topic::kTracks, bus::Topic::kCameraState, bus::Topic::kFusedTracks}) {
            if (t == bus::TopicName(topic)) {
              sub.topics |= bus::TopicBit(topic);
              known = true;
            }
          }
          if (!known) {
            st = InvalidField("topics", absl::StrCat("topics: unknown topic '", std::string(t),
                                                     "' (event, tracks, camera_state, fused_tracks)"));
            break;
          }
        }
      }
      if (auto it = api.query.find("camera"); it != api.query.end()) sub.cameras = {it->second};
      // A caller who may not see every camera gets only their cameras' messages, and no fused (multi-camera) tracks.
      if (api.visible_cameras) {
        sub.topics &= ~bus::TopicBit(bus::Topic::kFusedTracks);
        std::vector<std::string> visible;
        for (const std::string& c :
             sub.cameras.empty() ? std::vector<std::string>(api.visible_cameras->begin(), api.visible_cameras->end())
                                 : sub.cameras) {
          if (api.CameraVisible(c)) visible.push_back(c);
        }
        // No visible camera: a name no camera can have ('/' is refused in names), so nothing matches.
        sub.cameras = visible.empty() ? std::vector<std::string>{"/"} : visible;
        if (sub.topics == 0) sub.topics = bus::TopicBit(bus::Topic::kCameraState);
      }
    }
    if (st.ok() && server_.live.load() >= server_.options.ws_max_clients) {
      st = absl::UnavailableError("live: too many clients");
    }
    if (!st.ok()) {
      resp = ErrorResponse(st);
      server_.chain->Finish(api, route, resp, SecondsSince(t0));
      Send(std::move(resp), req.version(), false);
      return;
    }
    resp.status = 101;
    server_.chain->Finish(api, route, resp, SecondsSince(t0));
    std::make_shared<WsSession<Stream>>(std::move(stream_), server_, std::move(sub))->Run(req);
  }

  // Answers a request that could not be read, then closes.
  void Refuse(ApiResponse resp) {
    ApiRequest api;
    api.remote = remote_;
    server_.chain->Finish(api, nullptr, resp, 0);
    Send(std::move(resp), 11, false);
  }

  void Send(ApiResponse resp, unsigned version, bool keep_alive) {
    auto res = std::make_shared<HttpResponse>(ToHttpResponse(std::move(resp), version, keep_alive));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_.options.read_timeout_s));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        self->Close();
        return;
      }
      self->Read();
    });
  }

  // The orderly end: under TLS a close_notify (bounded by the read timeout), then the socket.
  void Close() {
    if constexpr (kIsTls<Stream>) {
      if (tls_up_) {
        tls_up_ = false;
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_.options.read_timeout_s));
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(tcp::socket::shutdown_both); });
        return;
      }
    }
    CloseSocket(tcp::socket::shutdown_send);
  }

  void CloseSocket(tcp::socket::shutdown_type how) {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(how, ec);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool first_ = true;
  bool tls_up_ = false;  // TLS: the handshake is done (a close sends close_notify)
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec && ssl) {
    std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), *ssl)->Run();
  } else if (!ec) {
    std::make_shared<HttpSession<PlainStream>>(*this, std::move(socket))->Run();
  }
  Accept();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, SiteBackend& backend,
                                                              MetricsRegistry& metrics) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>(options, backend, metrics);
  if (!options.tls_cert_file.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(impl->ssl, MakeTlsServerContext(options.tls_cert_file, options.tls_key_file));
    impl->options.tls = true;  // Secure cookies, HSTS
    impl->tls_failures = &metrics.AddCounter("didban_tls_handshake_failures_total",
                                             "Connections dropped before the TLS handshake completed, by reason "
                                             "(plain_http, timeout, error)",
                                             {"reason"});
    for (const char* reason : {"plain_http", "timeout", "error"}) impl->tls_failures->WithLabels({reason});
  }
  DIDBAN_RETURN_IF_ERROR(AddApiRoutes(backend, metrics, impl->router));
  AddSiteMetrics(backend, metrics);
  if (backend.Video() != nullptr) AddLiveVideoMetrics(*backend.Video(), metrics);
  const bool tls = impl->options.tls;
  if (options.auth) {
    DIDBAN_RETURN_IF_ERROR(AddAuthRoutes(*options.auth, options.audit, tls, impl->router));
    impl->access = std::make_unique<AccessPolicy>(*options.auth, backend);
    impl->chain = DefaultGuardChain(metrics, impl->access->AsGuardPolicy(), tls);
  } else {
    impl->chain = DefaultGuardChain(metrics, nullptr, tls);
  }
  if (options.audit) impl->chain->Add(std::make_unique<AuditGuard>(options.audit));
  if (!options.web_root.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(StaticFiles web, StaticFiles::Open(options.web_root));
    impl->web.emplace(std::move(web));
  }
  beast::error_code ec;
  const tcp::endpoint ep(net::ip::make_address(options.address), options.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("server: cannot listen on ", options.address, ":", options.port, ": ", ec.message()));
  }
  Impl* raw = impl.get();
  impl->Accept();
  for (int i = 0; i < options.threads; ++i) impl->threads.emplace_back([raw] { raw->ioc.run(); });
  spdlog::info("server: listening on {}://{}:{}", impl->ssl ? "https" : "http", options.address,
               impl->acceptor.local_endpoint().port());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string HttpServer::address() const { return impl_->options.address; }
std::string HttpServer::scheme() const { return impl_->ssl ? "https" : "http"; }

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard<std::mutex> gate_lock(impl_->gate->mu);
    impl_->gate->open = false;
  }
  net::post(impl_->acceptor.get_executor(), [raw = impl_.get()] {
    beast::error_code ec;
    raw->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

int HttpServer::live_clients() const { return impl_->live.load(); }
uint64_t HttpServer::slow_disconnects() const { return impl_->slow_count.load(); }

}  // namespace didban::server
