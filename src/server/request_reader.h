// What the server does with a request before its handler runs, as functions over Beast types with no socket, so the
// server (http_server.cc), the http_request fuzzer (fuzz/http_request_fuzzer.cc) and the tests run the same code:
// the request parser with the server's limits and the reply for each read error (431, 413, 400), the request target
// split into a percent-decoded path (no "." or ".." segments, no encoded '/' or '\') and query, the route lookup
// (404, 405 with Allow, 426 for a WebSocket route without Upgrade, the web UI's files outside /api/), the guard chain
// (request id, access, input, metrics, security headers) and the handler, the checks of a WebSocket upgrade, and
// the HTTP response written for an ApiResponse. ReadRequest reads one request from bytes the way the server reads
// it from a connection. Thread-safe where the router, guard chain and web files are (they are immutable once the
// server runs).
#ifndef DIDBAN_SERVER_REQUEST_READER_H_
#define DIDBAN_SERVER_REQUEST_READER_H_

#include <cstddef>
#include <optional>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/strings/string_view.h"
#include "didban/status.h"
#include "server/guards.h"
#include "server/http_server.h"
#include "server/router.h"
#include "server/static_files.h"

namespace didban::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the parser's limits from the server's options (header_limit_bytes, body_limit_bytes). Beast's read functions
// (http::read, http::async_read) make it eager, so a request is read whole, body included.
void ConfigureRequestParser(RequestParser& parser, const ServerOptions& options);

// The reply for a failed read of a request, after which the server closes the connection: 413 payload_too_large
// (field "body"), 431 headers_too_large ("headers"), 400 bad_request ("request", naming Beast's error). nullopt when
// the connection just ends without a reply: the client closed before a request began, the read timed out, was
// cancelled or reset.
std::optional<ApiResponse> ReadRefusal(const boost::beast::error_code& ec, const ServerOptions& options);

// One request read from `bytes` exactly as the server reads it from a connection (http::read with the parser of
// ConfigureRequestParser and the connection's flat buffer), the client having sent `bytes` and then closed its
// sending side. `max_read` > 0 delivers at most that many bytes per read (as TCP segments would arrive).
struct ReadResult {
  boost::beast::error_code error;      // the read's error; none when `request` is set
  std::optional<HttpRequest> request;  // the parsed request
  std::optional<ApiResponse> refusal;  // what the server answers instead (ReadRefusal); neither: it just closes
  size_t consumed = 0;                 // bytes of `bytes` the parser used (the rest is the next, pipelined, request)
};
ReadResult ReadRequest(absl::string_view bytes, const ServerOptions& options, size_t max_read = 0);

// Percent-decodes `in` ('+' as a space when `plus_space`); a bad escape or a NUL character is refused naming `field`.
absl::StatusOr<std::string> PercentDecode(absl::string_view in, bool plus_space, absl::string_view field);
// Splits a request target into request->path (percent-decoded; "." and ".." segments and encoded '/' or '\' refused,
// field "path") and request->query (decoded; a parameter given twice refused naming it).
absl::Status ParseTarget(absl::string_view target, ApiRequest* request);

// The API's method for a Beast verb; nullopt for the others (the server answers 405).
std::optional<Method> ToMethod(boost::beast::http::verb verb);
// The JSON error reply {"error": {"code", "message", "field"}} with `status`.
ApiResponse ErrorReply(int status, const std::string& code, const std::string& message, const std::string& field);

// Sets request->target, ->remote and ->headers (names lower-cased) from `req`; not the body.
void FillApiRequest(const HttpRequest& req, const std::string& remote, ApiRequest* request);

// The server's answer to a parsed request that is not a WebSocket upgrade: method and target checked (405, 400),
// routed (404; 405 with an Allow header; 426 for a WebSocket route; a GET outside /api/ that no route matches is
// served from `web` when given), then the guard chain's Before hooks and the route's handler (an exception is a 500),
// then the chain's After hooks (request id, metrics, log, security headers, audit) on every reply. `*route_out` is
// the matched route (null when none), `*api_out` the request as the handler saw it.
ApiResponse HandleRequest(const Router& router, const GuardChain& chain, const StaticFiles* web, const HttpRequest& req,
                          const std::string& remote, const Route** route_out, ApiRequest* api_out);

// The checks of a WebSocket upgrade before it is accepted: a GET whose target parses and names a WebSocket route
// (else 400 naming "path"), then the guard chain's Before hooks (access: credentials, role, same-origin Origin for a
// session cookie). Sets *api (target, headers, path, query, path parameters) and *route_out (null when no route
// matched). The caller goes on with the route's own checks, then calls chain.Finish() with the 101 or the refusal.
absl::Status AdmitUpgrade(const Router& router, const GuardChain& chain, const HttpRequest& req,
                          const std::string& remote, const Route** route_out, ApiRequest* api);

// The HTTP response the server writes for `response`: its status, Server: didban, its Content-Type,
// X-Content-Type-Options: nosniff, its extra headers, keep-alive as given, and Content-Length.
HttpResponse ToHttpResponse(ApiResponse response, unsigned version, bool keep_alive);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_REQUEST_READER_H_
