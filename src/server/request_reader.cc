#include "server/request_reader.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api_error.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"

namespace didban::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A connection that delivers `bytes` (at most `max_read` per read when > 0), then the end of the stream: what the
// server's socket gives when the client sent `bytes` and shut down its sending side (a Beast SyncReadStream).
class BytesStream {
 public:
  BytesStream(absl::string_view bytes, size_t max_read) : bytes_(bytes), max_read_(max_read) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {  // NOLINT: Beast's name
    ec = {};
    if (bytes_.empty()) {
      ec = net::error::eof;
      return 0;
    }
    size_t total = 0;
    size_t budget = max_read_ > 0 ? std::min(max_read_, bytes_.size()) : bytes_.size();
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && budget > 0; ++it) {
      const net::mutable_buffer b = *it;
      const size_t n = std::min(b.size(), budget);
      std::memcpy(b.data(), bytes_.data(), n);
      bytes_.remove_prefix(n);
      budget -= n;
      total += n;
    }
    return total;
  }

  size_t remaining() const { return bytes_.size(); }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {  // NOLINT: Beast's name
    beast::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  absl::string_view bytes_;
  const size_t max_read_;
};

}  // namespace

void ConfigureRequestParser(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(options.header_limit_bytes);
  parser.body_limit(options.body_limit_bytes);
}

std::optional<ApiResponse> ReadRefusal(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
      ec == net::error::connection_reset || ec == net::error::eof) {
    return std::nullopt;
  }
  if (ec == http::error::body_limit) {
    return ErrorReply(413, "payload_too_large", absl::StrCat("body: larger than ", options.body_limit_bytes, " bytes"),
                      "body");
  }
  if (ec == http::error::header_limit) {
    return ErrorReply(431, "headers_too_large",
                      absl::StrCat("headers: larger than ", options.header_limit_bytes, " bytes"), "headers");
  }
  return ErrorReply(400, "bad_request", absl::StrCat("request: malformed HTTP (", ec.message(), ")"), "request");
}

ReadResult ReadRequest(absl::string_view bytes, const ServerOptions& options, size_t max_read) {
  ReadResult result;
  BytesStream stream(bytes, max_read);
  beast::flat_buffer buffer;
  RequestParser parser;
  ConfigureRequestParser(parser, options);
  http::read(stream, buffer, parser, result.error);
  // What was read but not parsed stays in the connection's buffer for the next request.
  result.consumed = bytes.size() - stream.remaining() - buffer.size();
  if (result.error) {
    result.refusal = ReadRefusal(result.error, options);
  } else {
    result.request = parser.release();
  }
  return result;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in, bool plus_space, absl::string_view field) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return InvalidField(field, absl::StrCat(field, ": bad percent-encoding"));
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return InvalidField(field, absl::StrCat(field, ": bad percent-encoding"));
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_space) {
      c = ' ';
    }
    if (c == '\0') return InvalidField(field, absl::StrCat(field, ": NUL character"));
    out += c;
  }
  return out;
}

absl::Status ParseTarget(absl::string_view target, ApiRequest* request) {
  const size_t q = target.find('?');
  const absl::string_view raw_path = target.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/') return InvalidField("path", "path: must start with '/'");
  std::string path;
  for (absl::string_view seg : absl::StrSplit(raw_path.substr(1), '/')) {
    DIDBAN_ASSIGN_OR_RETURN(std::string s, PercentDecode(seg, false, "path"));
    if (s == ".." || s == ".") return InvalidField("path", "path: '.' and '..' segments are not allowed");
    if (s.find('/') != std::string::npos || s.find('\\') != std::string::npos) {
      return InvalidField("path", "path: encoded '/' or '\\' in a segment");
    }
    absl::StrAppend(&path, "/", s);
  }
  request->path = path;
  if (q == absl::string_view::npos) return absl::OkStatus();
  for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    DIDBAN_ASSIGN_OR_RETURN(std::string key, PercentDecode(pair.substr(0, eq), true, "query"));
    std::string value;
    if (eq != absl::string_view::npos) {
      DIDBAN_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1), true, IsValidName(key) ? key : "query"));
    }
    const std::string field = IsValidName(key) ? key : "query";
    if (!request->query.emplace(key, std::move(value)).second) {
      return InvalidField(field, absl::StrCat(field, ": given more than once"));
    }
  }
  return absl::OkStatus();
}

std::optional<Method> ToMethod(http::verb verb) {
  switch (verb) {
    case http::verb::get:
      return Method::kGet;
    case http::verb::post:
      return Method::kPost;
    case http::verb::put:
      return Method::kPut;
    case http::verb::delete_:
      return Method::kDelete;
    case http::verb::patch:
      return Method::kPatch;
    default:
      return std::nullopt;
  }
}

ApiResponse ErrorReply(int status, const std::string& code, const std::string& message, const std::string& field) {
  return JsonResponse(ApiErrorBody(MakeApiError(status, code, message, field)), status);
}

void FillApiRequest(const HttpRequest& req, const std::string& remote, ApiRequest* request) {
  request->target = std::string(req.target());
  request->remote = remote;
  for (const auto& f : req) {
    request->headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
  }
}

ApiResponse HandleRequest(const Router& router, const GuardChain& chain, const StaticFiles* web, const HttpRequest& req,
                          const std::string& remote, const Route** route_out, ApiRequest* api_out) {
  const auto t0 = std::chrono::steady_clock::now();
  ApiRequest& api = *api_out;
  FillApiRequest(req, remote, &api);
  api.body = req.body();
  ApiResponse resp;
  const Route* route = nullptr;
  const auto method = ToMethod(req.method());
  if (!method) {
    resp = ErrorReply(405, "method_not_allowed",
                      absl::StrCat("method: ", std::string(req.method_string()), " is not supported"), "method");
  } else if (auto st = ParseTarget(absl::string_view(req.target().data(), req.target().size()), &api); !st.ok()) {
    api.method = *method;
    resp = ErrorResponse(st);
  } else {
    api.method = *method;
    auto m = router.Find(*method, api.path);
    if (!m.ok() && m.status().code() == absl::StatusCode::kUnimplemented) {
      resp = ErrorReply(405, "method_not_allowed",
                        absl::StrCat("method: ", MethodName(*method), " not allowed on ", api.path), "method");
      resp.headers.emplace_back("Allow", router.AllowedMethods(api.path));
    } else if (!m.ok() && web != nullptr && *method == Method::kGet && !absl::StartsWith(api.path, "/api/")) {
      resp = web->Serve(api.path);  // the UI's files are public: the login page must load
    } else if (!m.ok()) {
      resp = ErrorResponse(m.status());
    } else if (m->route->websocket) {
      route = m->route;
      resp = ErrorReply(426, "upgrade_required", absl::StrCat(api.path, ": a WebSocket route (Upgrade: websocket)"),
                        "upgrade");
    } else {
      route = m->route;
      api.path_params = std::move(m->path_params);
      try {
        resp = chain.Handle(api, *route);
      } catch (const std::exception& e) {
        spdlog::error("http {} {}: {}", std::string(MethodName(*method)), api.target, e.what());
        resp = ErrorReply(500, "internal", "internal error", "");
      }
    }
  }
  chain.Finish(api, route, resp, SecondsSince(t0));
  *route_out = route;
  return resp;
}

absl::Status AdmitUpgrade(const Router& router, const GuardChain& chain, const HttpRequest& req,
                          const std::string& remote, const Route** route_out, ApiRequest* api) {
  *route_out = nullptr;
  FillApiRequest(req, remote, api);
  DIDBAN_RETURN_IF_ERROR(ParseTarget(absl::string_view(req.target().data(), req.target().size()), api));
  auto m = router.Find(Method::kGet, api->path);
  if (!m.ok() || !m->route->websocket || req.method() != http::verb::get) {
    return FieldError(absl::StatusCode::kInvalidArgument, "path", absl::StrCat(api->path, ": not a WebSocket route"));
  }
  *route_out = m->route;
  api->path_params = std::move(m->path_params);
  return chain.Admit(*api, *m->route);
}

HttpResponse ToHttpResponse(ApiResponse response, unsigned version, bool keep_alive) {
  HttpResponse res(static_cast<http::status>(response.status), version);
  res.set(http::field::server, "didban");
  res.set(http::field::content_type, response.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : response.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = std::move(response.body);
  res.prepare_payload();
  return res;
}

}  // namespace didban::server
