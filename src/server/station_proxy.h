// The center's reverse proxy to its stations' APIs (scale-out, docs/scale-out.md "Reaching a station's video"): a
// station's live video, recordings and clips are fetched from the station only when someone asks for them, through
// the routes under /api/v1/stations/{station}/ (server/station_routes.h), with the center's credential at the station
// (a bearer token, StationDirectory::SetToken). The center checks the caller's rights first (a camera or clip the
// caller may not see answers exactly as a missing one) and makes the station's target itself from the validated
// route parameters, never from the client's path.
//
// Small answers (JSON, a snapshot) are fetched whole by the route's handler (FetchFromStation, bounded by
// StationProxyOptions::max_answer_bytes and its timeouts). Streamed answers (live MJPEG, a clip's MP4) and the live
// fMP4 WebSocket are relayed by the server after the handler admitted them (RelayStationHttp, RelayStationWebSocket,
// called from http_server.cc): one buffer of at most 64 KiB at a time, read from the station only when the viewer
// has taken the previous one, so a slow viewer slows only its own station stream. A station that cannot be reached
// answers 502 (bad_gateway), one that does not answer in time 504 (gateway_timeout), with the JSON error naming it.
// Sessions run on the downstream connection's strand; the functions are thread-safe.
#ifndef DIDBAN_SERVER_STATION_PROXY_H_
#define DIDBAN_SERVER_STATION_PROXY_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "didban/status.h"
#include "server/request_reader.h"
#include "server/router.h"
#include "server/station_directory.h"

namespace didban::server {

inline constexpr char kStationLiveMp4Path[] = "/api/v1/stations/{station}/cameras/{camera}/live.mp4";
inline constexpr char kStationLiveMjpegPath[] = "/api/v1/stations/{station}/cameras/{camera}/live.mjpeg";
inline constexpr char kStationClipVideoPath[] = "/api/v1/stations/{station}/clips/{clip}/video.mp4";

// A station's API address: "http://north.example:8080/prefix" -> host, port ("80" by default), path prefix ("" or
// "/prefix"). Only http:// (InvalidArgument otherwise, naming the URL).
struct StationUrl {
  std::string host;
  std::string port;
  std::string prefix;
};
absl::StatusOr<StationUrl> ParseStationApiUrl(const std::string& url);

// One request of the center at a station.
struct StationCall {
  StationEndpoint endpoint;
  StationUrl url;
  std::string target;  // at the station, e.g. "/api/v1/cameras/gate/live.mjpeg?from_us=0"
  StationProxyOptions options;
};

// The station's request for a proxied route (`request` passed the guard chain): the station must exist and be
// visible to the caller (404 "station: no station 'x'" otherwise, as GET /api/v1/stations/{station}), a {camera}
// (or a POST body's camera) must be that station's (404 as a missing camera otherwise), and the station needs an API
// address (503). `stations` null (a single site): 501. The target is the route's path after
// /api/v1/stations/{station}, under the station's /api/v1, each segment and query value percent-encoded.
absl::StatusOr<StationCall> PrepareStationCall(const StationDirectory* stations, const ApiRequest& request);

// The JSON error of a proxy failure: 502 bad_gateway or 504 gateway_timeout, field "station".
ApiResponse StationGatewayError(int status, const std::string& site, const std::string& message);

// Makes `call` (method, JSON body when not empty) and returns the station's answer as it is (status, content type,
// body, and X-Didban-Masked), or a gateway error: 502 when the station cannot be reached or its answer is over
// max_answer_bytes, 504 when it does not answer within `timeout_ms` (answer_timeout_ms when 0). Blocks the calling
// thread for at most connect_timeout_ms + timeout_ms.
ApiResponse FetchFromStation(const StationCall& call, Method method, const std::string& body, int timeout_ms = 0);

// The station's answer for `camera`'s status (GET /api/v1/cameras/{camera}/status): 200 when the station is there
// and has the camera, else its answer or the gateway error. Live views check it before they are admitted, so an
// offline station is a 502/504 through the guard chain (audited and counted as such).
ApiResponse StationPreflight(const StationCall& call, const std::string& camera);

// Reads `site`'s camera list (GET /api/v1/cameras at the station, with the center's token) and records each camera's
// owner (its definition's `owner`) in `stations`, so that `owner:` grants at the center reach the station's cameras.
// A failure (no address, the station unreachable or refusing) is returned naming the station; what was known stays.
absl::Status RefreshStationOwners(StationDirectory& stations, const std::string& site);

// Whether the server streams this route's answer from the station after the handler said 200 (http_server.cc).
bool IsStationStreamRoute(const Route& route);
// Whether this WebSocket route is relayed to a station (http_server.cc, Upgrade).
bool IsStationWebSocketRoute(const Route& route);

// The checks of a station WebSocket before it is accepted (after AdmitUpgrade): PrepareStationCall, then the
// station's preflight. nullopt: go on with RelayStationWebSocket; else the refusal to send.
std::optional<ApiResponse> AdmitStationUpgrade(const StationDirectory* stations, const ApiRequest& request,
                                               StationCall* call);

namespace proxy_internal {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

template <class Stream>
inline constexpr bool kTls = std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>;

inline std::chrono::milliseconds Ms(int ms) { return std::chrono::milliseconds(ms); }

// The message of a failed step with the station, and its status (504 for a timeout, else 502).
inline std::pair<int, std::string> Failure(const StationCall& call, const char* step, const beast::error_code& ec) {
  const bool timeout = ec == beast::error::timeout;
  return {timeout ? 504 : 502,
          timeout
              ? absl::StrCat("station '", call.endpoint.site, "': no answer from ", call.endpoint.url, " (", step, ")")
              : absl::StrCat("station '", call.endpoint.site, "': ", step, " ", call.endpoint.url, ": ", ec.message())};
}

// Writes `reply` as a whole HTTP response (Connection: close) on `down`, then closes it.
template <class Stream, class Self>
void WriteReplyAndClose(Stream& down, std::shared_ptr<Self> self, ApiResponse reply, unsigned version) {
  auto res = std::make_shared<HttpResponse>(ToHttpResponse(std::move(reply), version, false));
  beast::get_lowest_layer(down).expires_after(std::chrono::seconds(30));
  http::async_write(down, *res, [self, res](beast::error_code, size_t) { self->CloseDown(); });
}

}  // namespace proxy_internal

// Relays the station's answer for a streamed route (live MJPEG, a clip's MP4) to the viewer on `down`: connects,
// sends the request with the center's token, reads the station's header; a 200 goes on with the center's reply
// header (`center_reply`'s headers: request id, security headers) and the station's body, 64 KiB at a time, until
// the station ends it or either side goes away (the connection is then closed: Connection: close); anything else is
// relayed as a whole reply (its body at most max_answer_bytes), and a failure before the header is a 502/504.
template <class Stream>
class StationHttpRelay : public std::enable_shared_from_this<StationHttpRelay<Stream>> {
 public:
  StationHttpRelay(Stream&& down, StationCall call, ApiResponse center_reply, unsigned version)
      : down_(std::move(down)),
        up_(down_.get_executor()),
        resolver_(down_.get_executor()),
        call_(std::move(call)),
        reply_(std::move(center_reply)),
        version_(version) {}

  void Run() {
    namespace net = proxy_internal::net;
    net::dispatch(down_.get_executor(), [self = this->shared_from_this()] { self->Resolve(); });
  }

  // Answers `r` (with the center's headers) instead of relaying, then closes.
  void Refuse(ApiResponse r) {
    namespace net = proxy_internal::net;
    net::dispatch(down_.get_executor(), [self = this->shared_from_this(), r = std::move(r)]() mutable {
      for (const auto& h : self->reply_.headers) r.headers.push_back(h);
      self->sent_header_ = true;
      proxy_internal::WriteReplyAndClose(self->down_, self, std::move(r), self->version_);
    });
  }

  // Ends the viewer's connection (TLS: close_notify first, so a body delimited by the close is not a truncation).
  void CloseDown() {
    namespace beast = proxy_internal::beast;
    using proxy_internal::tcp;
    beast::error_code ec;
    up_.socket().shutdown(tcp::socket::shutdown_both, ec);
    up_.close();
    if constexpr (proxy_internal::kTls<Stream>) {
      if (!shut_) {
        shut_ = true;
        beast::get_lowest_layer(down_).expires_after(std::chrono::seconds(5));
        down_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->CloseDown(); });
        return;
      }
    }
    beast::get_lowest_layer(down_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(down_).close();
  }

 private:
  void Resolve() {
    namespace beast = proxy_internal::beast;
    up_.expires_after(proxy_internal::Ms(call_.options.connect_timeout_ms));
    resolver_.async_resolve(
        call_.url.host, call_.url.port,
        [self = this->shared_from_this()](beast::error_code ec, proxy_internal::tcp::resolver::results_type r) {
          if (ec) return self->Fail(proxy_internal::Failure(self->call_, "cannot resolve", ec));
          self->up_.async_connect(r, [self](beast::error_code ec2, const proxy_internal::tcp::endpoint&) {
            if (ec2) return self->Fail(proxy_internal::Failure(self->call_, "cannot connect to", ec2));
            self->Send();
          });
        });
  }

  void Send() {
    namespace beast = proxy_internal::beast;
    namespace http = proxy_internal::http;
    req_.method(http::verb::get);
    req_.target(call_.target);
    req_.version(11);
    req_.set(http::field::host, absl::StrCat(call_.url.host, ":", call_.url.port));
    req_.set(http::field::user_agent, "didban-center");
    if (!call_.endpoint.token.empty()) req_.set(http::field::authorization, "Bearer " + call_.endpoint.token);
    up_.expires_after(proxy_internal::Ms(call_.options.answer_timeout_ms));
    http::async_write(up_, req_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(proxy_internal::Failure(self->call_, "cannot send to", ec));
      self->parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
      http::async_read_header(self->up_, self->buf_, self->parser_, [self](beast::error_code ec2, size_t) {
        if (ec2) return self->Fail(proxy_internal::Failure(self->call_, "reading the answer of", ec2));
        self->OnHeader();
      });
    });
  }

  void OnHeader() {
    namespace beast = proxy_internal::beast;
    namespace http = proxy_internal::http;
    namespace net = proxy_internal::net;
    const auto& res = parser_.get();
    collect_ = res.result_int() != 200;
    if (collect_) return ReadBody();
    std::string header = "HTTP/1.1 200 OK\r\nServer: didban\r\n";
    absl::StrAppend(&header, "Content-Type: ", Clean(std::string(res[http::field::content_type])), "\r\n");
    if (parser_.content_length()) absl::StrAppend(&header, "Content-Length: ", *parser_.content_length(), "\r\n");
    if (auto it = res.find("X-Didban-Masked"); it != res.end()) {
      absl::StrAppend(&header, "X-Didban-Masked: ", Clean(std::string(it->value())), "\r\n");
    }
    for (const auto& [k, v] : reply_.headers) absl::StrAppend(&header, k, ": ", v, "\r\n");
    header += "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
    header_ = std::make_shared<std::string>(std::move(header));
    sent_header_ = true;
    beast::get_lowest_layer(down_).expires_after(proxy_internal::Ms(call_.options.stream_idle_timeout_ms));
    net::async_write(down_, net::buffer(*header_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->CloseDown();
      self->WatchViewer();
      self->ReadBody();
    });
  }

  // Whatever the viewer sends is dropped; its end (or an error) ends the relay, also while the station sends nothing.
  void WatchViewer() {
    namespace beast = proxy_internal::beast;
    namespace net = proxy_internal::net;
    down_.async_read_some(net::buffer(in_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->CloseDown();
      self->WatchViewer();
    });
  }

  // One buffer from the station, then (streaming) its bytes to the viewer, then the next.
  void ReadBody() {
    namespace beast = proxy_internal::beast;
    namespace http = proxy_internal::http;
    namespace net = proxy_internal::net;
    if (parser_.is_done()) return Done();
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    up_.expires_after(proxy_internal::Ms(call_.options.stream_idle_timeout_ms));
    http::async_read(up_, buf_, parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = self->chunk_.size() - self->parser_.get().body().size;
      const bool end = self->parser_.is_done() || ec == http::error::end_of_stream;
      if (ec && !end) {
        if (!self->sent_header_) return self->Fail(proxy_internal::Failure(self->call_, "reading the answer of", ec));
        return self->CloseDown();
      }
      if (self->collect_) {
        self->body_.append(self->chunk_.data(), got);
        if (static_cast<int64_t>(self->body_.size()) > self->call_.options.max_answer_bytes) {
          return self->Fail({502, absl::StrCat("station '", self->call_.endpoint.site, "': its answer is over ",
                                               self->call_.options.max_answer_bytes, " bytes")});
        }
        if (end) return self->Done();
        return self->ReadBody();
      }
      if (got == 0) {
        if (end) return self->Done();
        return self->ReadBody();
      }
      beast::get_lowest_layer(self->down_)
          .expires_after(proxy_internal::Ms(self->call_.options.stream_idle_timeout_ms));
      net::async_write(self->down_, net::buffer(self->chunk_.data(), got), [self, end](beast::error_code ec2, size_t) {
        if (ec2) return self->CloseDown();
        if (end) return self->Done();
        self->ReadBody();
      });
    });
  }

  void Done() {
    namespace http = proxy_internal::http;
    if (!collect_) return CloseDown();
    ApiResponse r;
    r.status = static_cast<int>(parser_.get().result_int());
    r.content_type = Clean(std::string(parser_.get()[http::field::content_type]));
    r.body = std::move(body_);
    r.headers = reply_.headers;
    sent_header_ = true;
    proxy_internal::WriteReplyAndClose(down_, this->shared_from_this(), std::move(r), version_);
  }

  void Fail(std::pair<int, std::string> failure) {
    if (sent_header_) return CloseDown();
    sent_header_ = true;
    ApiResponse r = StationGatewayError(failure.first, call_.endpoint.site, failure.second);
    for (const auto& h : reply_.headers) r.headers.push_back(h);
    proxy_internal::WriteReplyAndClose(down_, this->shared_from_this(), std::move(r), version_);
  }

  // A header value from the station, without control characters.
  static std::string Clean(std::string v) {
    std::string out;
    for (char c : v) {
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
    }
    return out;
  }

  Stream down_;
  proxy_internal::beast::tcp_stream up_;
  proxy_internal::tcp::resolver resolver_;
  const StationCall call_;
  const ApiResponse reply_;
  const unsigned version_;
  proxy_internal::http::request<proxy_internal::http::empty_body> req_;
  proxy_internal::beast::flat_buffer buf_;
  proxy_internal::http::response_parser<proxy_internal::http::buffer_body> parser_;
  std::array<char, 64 * 1024> chunk_{};
  std::array<char, 512> in_{};  // what the viewer sends, dropped
  std::shared_ptr<std::string> header_;
  std::string body_;          // a non-200 answer, collected
  bool collect_ = false;      // the station did not answer 200: relay its answer whole
  bool sent_header_ = false;  // something was written to the viewer
  bool shut_ = false;         // TLS close_notify sent
};

// Relays a station camera's live fMP4 WebSocket: connects to the station and opens its WebSocket (with the center's
// token) before the viewer's upgrade is accepted (a failure answers 502/504, or the station's refusal), then copies
// messages both ways, one at a time each way, text or binary as they came; either side's end ends both.
template <class Stream>
class StationWsRelay : public std::enable_shared_from_this<StationWsRelay<Stream>> {
 public:
  StationWsRelay(Stream&& down, StationCall call, HttpRequest req)
      : down_(std::move(down)),
        up_(proxy_internal::beast::tcp_stream(down_.get_executor())),
        resolver_(down_.get_executor()),
        call_(std::move(call)),
        req_(std::move(req)) {}

  void Run() {
    namespace net = proxy_internal::net;
    net::dispatch(down_.get_executor(), [self = this->shared_from_this()] { self->Resolve(); });
  }

  void CloseDown() { Stop(); }

 private:
  void Resolve() {
    namespace beast = proxy_internal::beast;
    beast::get_lowest_layer(up_).expires_after(proxy_internal::Ms(call_.options.connect_timeout_ms));
    resolver_.async_resolve(
        call_.url.host, call_.url.port,
        [self = this->shared_from_this()](beast::error_code ec, proxy_internal::tcp::resolver::results_type r) {
          if (ec) return self->Refuse(proxy_internal::Failure(self->call_, "cannot resolve", ec));
          beast::get_lowest_layer(self->up_).async_connect(
              r, [self](beast::error_code ec2, const proxy_internal::tcp::endpoint&) {
                if (ec2) return self->Refuse(proxy_internal::Failure(self->call_, "cannot connect to", ec2));
                self->Handshake();
              });
        });
  }

  void Handshake() {
    namespace beast = proxy_internal::beast;
    namespace http = proxy_internal::http;
    namespace websocket = proxy_internal::websocket;
    beast::get_lowest_layer(up_).expires_after(proxy_internal::Ms(call_.options.answer_timeout_ms));
    const std::string token = call_.endpoint.token;
    up_.set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
      r.set(http::field::user_agent, "didban-center");
      if (!token.empty()) r.set(http::field::authorization, "Bearer " + token);
    }));
    up_.async_handshake(up_res_, absl::StrCat(call_.url.host, ":", call_.url.port), call_.target,
                        [self = this->shared_from_this()](beast::error_code ec) {
                          if (ec) {
                            const int status = static_cast<int>(self->up_res_.result_int());
                            if (status >= 400) {
                              ApiResponse r;
                              r.status = status;
                              r.body = self->up_res_.body();
                              return self->Reply(std::move(r));
                            }
                            return self->Refuse(proxy_internal::Failure(self->call_, "live video handshake with", ec));
                          }
                          self->Accept();
                        });
  }

  void Accept() {
    namespace beast = proxy_internal::beast;
    namespace http = proxy_internal::http;
    namespace websocket = proxy_internal::websocket;
    beast::get_lowest_layer(up_).expires_never();
    up_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    beast::get_lowest_layer(down_).expires_never();
    down_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    down_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "didban"); }));
    down_.async_accept(req_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->Stop();
      self->UpToDown();
      self->DownToUp();
    });
  }

  void UpToDown() {
    namespace beast = proxy_internal::beast;
    namespace net = proxy_internal::net;
    up_.async_read(from_up_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Stop();
      self->down_.text(self->up_.got_text());
      self->down_.async_write(self->from_up_.data(), [self](beast::error_code ec2, size_t) {
        if (ec2) return self->Stop();
        self->from_up_.consume(self->from_up_.size());
        self->UpToDown();
      });
    });
  }

  void DownToUp() {
    namespace beast = proxy_internal::beast;
    down_.async_read(from_down_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Stop();
      self->up_.text(self->down_.got_text());
      self->up_.async_write(self->from_down_.data(), [self](beast::error_code ec2, size_t) {
        if (ec2) return self->Stop();
        self->from_down_.consume(self->from_down_.size());
        self->DownToUp();
      });
    });
  }

  // Either side ended: both sockets are closed (pending reads and writes end with an error).
  void Stop() {
    namespace beast = proxy_internal::beast;
    using proxy_internal::tcp;
    if (stopped_) return;
    stopped_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(up_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(up_).close();
    beast::get_lowest_layer(down_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(down_).close();
  }

  void Refuse(std::pair<int, std::string> failure) {
    Reply(StationGatewayError(failure.first, call_.endpoint.site, failure.second));
  }

  // The viewer's upgrade is answered with `r` (not accepted), then the connection closed.
  void Reply(ApiResponse r) {
    namespace beast = proxy_internal::beast;
    beast::get_lowest_layer(up_).close();
    proxy_internal::WriteReplyAndClose(down_.next_layer(), this->shared_from_this(), std::move(r), req_.version());
  }

  proxy_internal::websocket::stream<Stream> down_;
  proxy_internal::websocket::stream<proxy_internal::beast::tcp_stream> up_;
  proxy_internal::tcp::resolver resolver_;
  const StationCall call_;
  HttpRequest req_;
  proxy_internal::websocket::response_type up_res_;
  proxy_internal::beast::flat_buffer from_up_;
  proxy_internal::beast::flat_buffer from_down_;
  bool stopped_ = false;  // strand only
};

// Starts relaying a streamed route's answer (IsStationStreamRoute, its handler having answered 200 with
// `center_reply`) on the viewer's connection `down` (moved in); the session owns the connection from here on.
template <class Stream>
void RelayStationHttp(Stream down, const StationDirectory* stations, const ApiRequest& request,
                      ApiResponse center_reply, unsigned version) {
  absl::StatusOr<StationCall> call = PrepareStationCall(stations, request);
  auto session = std::make_shared<StationHttpRelay<Stream>>(std::move(down), call.ok() ? *call : StationCall{},
                                                            std::move(center_reply), version);
  if (call.ok()) {
    session->Run();
  } else {
    // The handler checked the same; a station removed in between answers as the handler would have.
    session->Refuse(ErrorResponse(call.status()));
  }
}

// Starts relaying a station camera's live fMP4 WebSocket (AdmitStationUpgrade said go on with `call`) for the
// upgrade request `req` on the viewer's connection `down`.
template <class Stream>
void RelayStationWebSocket(Stream down, StationCall call, HttpRequest req) {
  std::make_shared<StationWsRelay<Stream>>(std::move(down), std::move(call), std::move(req))->Run();
}

}  // namespace didban::server

#endif  // DIDBAN_SERVER_STATION_PROXY_H_
