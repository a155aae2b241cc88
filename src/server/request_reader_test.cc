#include "server/request_reader.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/guards.h"
#include "server/metrics.h"

namespace didban::server {
namespace {

namespace http = boost::beast::http;

// The error reply's JSON body, as the server sends it.
std::string ErrorBody(const std::string& code, const std::string& message, const std::string& field) {
  return ApiErrorBody(MakeApiError(0, code, message, field)).dump();
}

std::string Header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

// A router with the shapes of the server's routes: a public route, a camera route with a name parameter, a query
// parameter, a JSON body and a WebSocket route, under the server's default guard chain (no access control).
class RequestReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto route = [](Method m, const std::string& path, std::vector<ParamSpec> params, nlohmann::json schema = nullptr) {
      Route r;
      r.method = m;
      r.path = path;
      r.operation_id = path;
      r.params = std::move(params);
      r.request_schema = std::move(schema);
      r.handler = [](const ApiRequest& req) {
        return JsonResponse({{"path", req.path}, {"params", req.path_params}, {"query", req.query}});
      };
      return r;
    };
    const ParamSpec camera{"camera", ParamSpec::In::kPath, {{"type", "string"}, {"format", "name"}}, true, ""};
    const ParamSpec limit{"limit", ParamSpec::In::kQuery, {{"type", "integer"}, {"minimum", 1}}, false, ""};
    ASSERT_TRUE(router_.Add(route(Method::kGet, "/healthz", {})).ok());
    ASSERT_TRUE(router_.Add(route(Method::kGet, "/api/v1/cameras/{camera}", {camera, limit})).ok());
    ASSERT_TRUE(
        router_
            .Add(route(
                Method::kPut, "/api/v1/cameras/{camera}", {camera},
                {{"type", "object"}, {"additionalProperties", false}, {"properties", {{"uri", {{"type", "string"}}}}}}))
            .ok());
    Route live =
        route(Method::kGet, "/api/v1/live", {{"topics", ParamSpec::In::kQuery, {{"type", "string"}}, false, ""}});
    live.websocket = true;
    live.handler = nullptr;
    ASSERT_TRUE(router_.Add(std::move(live)).ok());
    chain_ = DefaultGuardChain(metrics_);
  }

  // Reads one request from `bytes` and answers it as the server does.
  ApiResponse Answer(const std::string& bytes, ApiRequest* api = nullptr) {
    ReadResult r = ReadRequest(bytes, options_);
    if (r.refusal) return *r.refusal;
    EXPECT_TRUE(r.request.has_value()) << r.error.message();
    if (!r.request) return {};
    const Route* route = nullptr;
    ApiRequest local;
    return HandleRequest(router_, *chain_, nullptr, *r.request, "127.0.0.1:4000", &route, api ? api : &local);
  }

  ServerOptions options_;  // the server's default limits: 16 KiB of headers, 1 MiB of body
  MetricsRegistry metrics_;
  Router router_;
  std::unique_ptr<GuardChain> chain_;
};

TEST_F(RequestReaderTest, HeadersOverTheLimitAre431) {
  const std::string bytes = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(17000, 'a') + "\r\n\r\n";
  for (size_t max_read : {size_t{0}, size_t{7}, size_t{4096}}) {
    ReadResult r = ReadRequest(bytes, options_, max_read);
    EXPECT_EQ(r.error, http::error::header_limit) << max_read;
    EXPECT_FALSE(r.request.has_value());
    ASSERT_TRUE(r.refusal.has_value());
    EXPECT_EQ(r.refusal->status, 431);
    EXPECT_EQ(r.refusal->body, ErrorBody("headers_too_large", "headers: larger than 16384 bytes", "headers"));
  }
  // Just under the limit is read.
  const std::string fits = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(16000, 'a') + "\r\n\r\n";
  ReadResult ok = ReadRequest(fits, options_);
  ASSERT_TRUE(ok.request.has_value()) << ok.error.message();
  EXPECT_EQ(ok.request->at("X-Pad").size(), 16000U);
}

TEST_F(RequestReaderTest, BodyOverTheLimitIs413BeforeItIsRead) {
  // The declared length is refused at the headers: the body is never read.
  const std::string declared = "POST /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n{}";
  ReadResult r = ReadRequest(declared, options_);
  EXPECT_EQ(r.error, http::error::body_limit);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->status, 413);
  EXPECT_EQ(r.refusal->body, ErrorBody("payload_too_large", "body: larger than 1048576 bytes", "body"));
  // A chunk that would pass the limit is refused the same way.
  const std::string chunked =
      "POST /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\nabc";
  r = ReadRequest(chunked, options_);
  EXPECT_EQ(r.error, http::error::body_limit);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->status, 413);
  // Exactly at the limit is read whole.
  const std::string at_limit =
      "PUT /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n" + std::string(1048576, ' ');
  r = ReadRequest(at_limit, options_);
  ASSERT_TRUE(r.request.has_value()) << r.error.message();
  EXPECT_EQ(r.request->body().size(), 1048576U);
  EXPECT_EQ(r.consumed, at_limit.size());
}

TEST_F(RequestReaderTest, MalformedRequestLineIs400NamingTheRequest) {
  ReadResult r = ReadRequest("GET /healthz HTTP/1.1 extra\r\n\r\n", options_);
  EXPECT_EQ(r.error, http::error::bad_version);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->status, 400);
  EXPECT_EQ(r.refusal->body, ErrorBody("bad_request", "request: malformed HTTP (bad version)", "request"));
  r = ReadRequest("GET\r\n\r\n", options_);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->status, 400);
  // A request cut off by the client's end of stream is malformed too; nothing at all is no request (no reply).
  r = ReadRequest("GET /healthz HTTP/1.1\r\nHost: a\r\n", options_);
  EXPECT_EQ(r.error, http::error::partial_message);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->body, ErrorBody("bad_request", "request: malformed HTTP (partial message)", "request"));
  r = ReadRequest("", options_);
  EXPECT_EQ(r.error, http::error::end_of_stream);
  EXPECT_FALSE(r.refusal.has_value());
  EXPECT_FALSE(r.request.has_value());
}

TEST_F(RequestReaderTest, BadChunkEncodingIs400) {
  ReadResult r = ReadRequest(
      "PUT /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      options_);
  EXPECT_EQ(r.error, http::error::bad_chunk);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(r.refusal->status, 400);
  EXPECT_EQ(r.refusal->body, ErrorBody("bad_request", "request: malformed HTTP (bad chunk)", "request"));
  // A good chunked body is read whole, the chunks joined.
  r = ReadRequest(
      "PUT /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\n{\"u\r\n8\r\nri\":\"x\"}\r\n0\r\nX-Trailer: t\r\n\r\n",
      options_);
  ASSERT_TRUE(r.request.has_value()) << r.error.message();
  EXPECT_EQ(r.request->body(), "{\"uri\":\"x\"}");
}

TEST_F(RequestReaderTest, TraversalInAPathParameterIs400) {
  // "." and ".." segments (also percent-encoded) and encoded separators never reach the router: field "path".
  for (const char* target : {"/api/v1/cameras/..", "/api/v1/cameras/%2e%2E", "/api/v1/cameras/..%2fetc",
                             "/api/v1/cameras/..%5c..%5cwin.ini", "/api/v1/cameras/.", "/api/v1/cameras/a%00b"}) {
    const ApiResponse resp = Answer(std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(resp.status, 400) << target;
    EXPECT_EQ(nlohmann::json::parse(resp.body)["error"]["field"], "path") << target;
  }
  EXPECT_EQ(Answer("GET /api/v1/cameras/%2e%2e HTTP/1.1\r\nHost: a\r\n\r\n").body,
            ErrorBody("invalid_argument", "path: '.' and '..' segments are not allowed", "path"));
  // A segment that routes but is not a name (starts with '.') is refused by the input guard naming the parameter.
  ApiRequest api;
  const ApiResponse resp = Answer("GET /api/v1/cameras/..%2e HTTP/1.1\r\nHost: a\r\n\r\n", &api);
  EXPECT_EQ(api.path_params.at("camera"), "...");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            ErrorBody("invalid_argument", "camera: invalid name (1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.')",
                      "camera"));
  // Percent-encoding that is not: refused naming the path or the query parameter.
  EXPECT_EQ(Answer("GET /api/v1/cameras/a%2 HTTP/1.1\r\nHost: a\r\n\r\n").body,
            ErrorBody("invalid_argument", "path: bad percent-encoding", "path"));
  EXPECT_EQ(Answer("GET /api/v1/cameras/a?limit=%zz HTTP/1.1\r\nHost: a\r\n\r\n").body,
            ErrorBody("invalid_argument", "limit: bad percent-encoding", "limit"));
  EXPECT_EQ(Answer("GET /api/v1/cameras/a?limit=1&limit=2 HTTP/1.1\r\nHost: a\r\n\r\n").body,
            ErrorBody("invalid_argument", "limit: given more than once", "limit"));
}

TEST_F(RequestReaderTest, UnknownRouteIs404WrongMethod405WebSocketRoute426) {
  ApiResponse resp = Answer("GET /api/v1/nothing HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body, ErrorBody("not_found", "no route for /api/v1/nothing", "path"));
  EXPECT_EQ(Header(resp, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(resp, "X-Frame-Options"), "DENY");
  resp = Answer("DELETE /api/v1/cameras/a HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.body, ErrorBody("method_not_allowed", "method: DELETE not allowed on /api/v1/cameras/a", "method"));
  EXPECT_EQ(Header(resp, "Allow"), "GET, PUT");
  resp = Answer("PROPFIND /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.body, ErrorBody("method_not_allowed", "method: PROPFIND is not supported", "method"));
  resp = Answer("GET /api/v1/live HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(resp.status, 426);
  EXPECT_EQ(resp.body,
            ErrorBody("upgrade_required", "/api/v1/live: a WebSocket route (Upgrade: websocket)", "upgrade"));
}

TEST_F(RequestReaderTest, RequestIsParsedRoutedAndGuarded) {
  const std::string first =
      "GET /api/v1/cameras/north%20gate?limit=20 HTTP/1.1\r\nHost: a\r\nCookie: theme=dark\r\n"
      "X-Request-Id: req-7\r\n\r\n";
  const std::string second = "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  // Pipelined: the first read uses exactly the first request, whatever the bytes' arrival.
  for (size_t max_read : {size_t{0}, size_t{1}, size_t{7}}) {
    ReadResult r = ReadRequest(first + second, options_, max_read);
    ASSERT_TRUE(r.request.has_value()) << r.error.message();
    EXPECT_EQ(r.consumed, first.size()) << max_read;
    EXPECT_EQ(r.request->method(), http::verb::get);
    EXPECT_EQ(r.request->target(), "/api/v1/cameras/north%20gate?limit=20");
    EXPECT_TRUE(r.request->keep_alive());
  }
  ReadResult r = ReadRequest(first + second, options_);
  ApiRequest api;
  const Route* route = nullptr;
  ApiResponse resp = HandleRequest(router_, *chain_, nullptr, *r.request, "127.0.0.1:4000", &route, &api);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->path, "/api/v1/cameras/{camera}");
  EXPECT_EQ(api.path, "/api/v1/cameras/north gate");
  EXPECT_EQ(api.headers.at("cookie"), "theme=dark");
  EXPECT_EQ(api.remote, "127.0.0.1:4000");
  // Decoded and routed; the input guard then refuses "north gate" (a space is not a name character).
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(nlohmann::json::parse(resp.body)["error"]["field"], "camera");
  EXPECT_EQ(Header(resp, "X-Request-Id"), "req-7");

  api = ApiRequest();
  resp = Answer("GET /api/v1/cameras/north?limit=20 HTTP/1.1\r\nHost: a\r\n\r\n", &api);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, R"({"params":{"camera":"north"},"path":"/api/v1/cameras/north","query":{"limit":"20"}})");
  EXPECT_EQ(Header(resp, "Content-Security-Policy").substr(0, 20), "default-src 'self'; ");
  EXPECT_EQ(Header(resp, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Header(resp, "X-Request-Id").substr(0, 1), "r");

  r = ReadRequest(second, options_);
  ASSERT_TRUE(r.request.has_value());
  EXPECT_FALSE(r.request->keep_alive());
  EXPECT_EQ(r.consumed, second.size());
}

TEST_F(RequestReaderTest, WebSocketUpgradeIsAdmittedOnlyOnItsRoute) {
  const std::string upgrade =
      " HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  ReadResult r = ReadRequest("GET /api/v1/live?topics=event" + upgrade, options_);
  ASSERT_TRUE(r.request.has_value());
  ApiRequest api;
  const Route* route = nullptr;
  EXPECT_TRUE(AdmitUpgrade(router_, *chain_, *r.request, "127.0.0.1:4000", &route, &api).ok());
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->path, "/api/v1/live");
  EXPECT_EQ(api.query.at("topics"), "event");
  EXPECT_EQ(api.headers.at("upgrade"), "websocket");

  r = ReadRequest("GET /api/v1/cameras/a" + upgrade, options_);
  ASSERT_TRUE(r.request.has_value());
  api = ApiRequest();
  absl::Status st = AdmitUpgrade(router_, *chain_, *r.request, "127.0.0.1:4000", &route, &api);
  EXPECT_EQ(route, nullptr);
  EXPECT_EQ(ErrorResponse(st).body, ErrorBody("invalid_argument", "/api/v1/cameras/a: not a WebSocket route", "path"));
}

TEST_F(RequestReaderTest, ResponseIsWrittenWithTheServerHeaders) {
  ApiResponse resp = ErrorReply(431, "headers_too_large", "headers: larger than 16384 bytes", "headers");
  resp.headers.emplace_back("X-Frame-Options", "DENY");
  std::ostringstream wire;
  wire << ToHttpResponse(resp, 11, false);
  EXPECT_EQ(wire.str(),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nServer: didban\r\nContent-Type: application/json\r\n"
            "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nConnection: close\r\nContent-Length: " +
                std::to_string(resp.body.size()) + "\r\n\r\n" + resp.body);
}

TEST(ReadRefusalTest, TheConnectionEndsWithoutAReplyWhenTheClientIsGone) {
  const ServerOptions options;
  EXPECT_FALSE(ReadRefusal(http::error::end_of_stream, options).has_value());
  EXPECT_FALSE(ReadRefusal(boost::beast::error::timeout, options).has_value());
  EXPECT_FALSE(ReadRefusal(boost::asio::error::connection_reset, options).has_value());
  ServerOptions small;
  small.body_limit_bytes = 4096;
  EXPECT_EQ(ReadRefusal(http::error::body_limit, small)->body,
            ErrorBody("payload_too_large", "body: larger than 4096 bytes", "body"));
}

}  // namespace
}  // namespace didban::server
