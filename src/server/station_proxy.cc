// The center's reverse proxy to its stations (see station_proxy.h): the checks, the station's target, and the
// blocking fetch of small answers.
#include "server/station_proxy.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/access_policy.h"
#include "server/api_error.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr absl::string_view kStationsPrefix = "/api/v1/stations/";

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string Encode(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::Status NoSuchStation(const std::string& name) {
  return FieldError(absl::StatusCode::kNotFound, "station", absl::StrCat("station: no station '", name, "'"));
}

// The caller may see the station: every camera, a grant of its site, or one of its cameras (as station_routes.cc).
bool Visible(const ApiRequest& r, const StationInfo& s) {
  if (!r.visible_cameras) return true;
  if (r.principal && r.principal->MaySee({"", "", s.site})) return true;
  return std::any_of(s.cameras.begin(), s.cameras.end(), [&](const std::string& c) { return r.CameraVisible(c); });
}

}  // namespace

absl::StatusOr<StationUrl> ParseStationApiUrl(const std::string& url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("station URL '", url, "': only http:// is supported by the proxy (put TLS in front of both)"));
  }
  StationUrl out;
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) out.prefix = std::string(rest.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  out.port = "80";
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const size_t end = authority.find(']');
    if (end == absl::string_view::npos)
      return absl::InvalidArgumentError(absl::StrCat("station URL '", url, "': bad host"));
    out.host = std::string(authority.substr(1, end - 1));
    authority.remove_prefix(end + 1);
    if (absl::ConsumePrefix(&authority, ":")) out.port = std::string(authority);
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  int port = 0;
  if (out.host.empty() || !absl::SimpleAtoi(out.port, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("station URL '", url, "': expected http://HOST[:PORT][/PREFIX]"));
  }
  return out;
}

absl::StatusOr<StationCall> PrepareStationCall(const StationDirectory* stations, const ApiRequest& r) {
  if (stations == nullptr) {
    return absl::UnimplementedError("stations: this server is not a center (didban serve --role center)");
  }
  const std::string& site = r.path_params.at("station");
  bool found = false;
  for (const StationInfo& s : stations->List()) {
    if (s.site == site) {
      found = Visible(r, s);
      break;
    }
  }
  if (!found) return NoSuchStation(site);
  // A camera named in the path or the body must be this station's (another's answers as a missing camera).
  std::string camera;
  if (auto it = r.path_params.find("camera"); it != r.path_params.end()) {
    camera = it->second;
  } else if (r.json.is_object() && r.json.contains("camera") && r.json["camera"].is_string()) {
    camera = r.json["camera"].get<std::string>();
  }
  if (!camera.empty() && (!r.CameraVisible(camera) || stations->SiteOf(camera) != site)) return NoSuchCamera(camera);

  StationCall call;
  call.endpoint = stations->EndpointOf(site);
  call.options = stations->ProxyOptions();
  if (call.endpoint.url.empty()) {
    return FieldError(absl::StatusCode::kUnavailable, "station",
                      absl::StrCat("station '", site, "': the center has no API address for it (--station-url)"));
  }
  DIDBAN_ASSIGN_OR_RETURN(call.url, ParseStationApiUrl(call.endpoint.url));
  // The route's own path after /api/v1/stations/{station}: literal segments and validated names only.
  absl::string_view rest = r.path;
  if (!absl::ConsumePrefix(&rest, kStationsPrefix) || !absl::ConsumePrefix(&rest, site)) {
    return absl::InternalError(absl::StrCat("station proxy: unexpected path ", r.path));
  }
  std::string target = call.url.prefix + "/api/v1";
  for (absl::string_view segment : absl::StrSplit(rest, '/', absl::SkipEmpty())) {
    absl::StrAppend(&target, "/", Encode(segment));
  }
  char sep = '?';
  for (const auto& [k, v] : r.query) {
    absl::StrAppend(&target, std::string(1, sep), Encode(k), "=", Encode(v));
    sep = '&';
  }
  call.target = std::move(target);
  return call;
}

ApiResponse StationGatewayError(int status, const std::string& /*site*/, const std::string& message) {
  const ApiError e = MakeApiError(status, status == 504 ? "gateway_timeout" : "bad_gateway", message, "station");
  return JsonResponse(ApiErrorBody(e), status);
}

ApiResponse FetchFromStation(const StationCall& call, Method method, const std::string& body, int timeout_ms) {
  if (timeout_ms <= 0) timeout_ms = call.options.answer_timeout_ms;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto fail = [&](const char* step) {
    const auto [status, message] = proxy_internal::Failure(call, step, ec);
    return StationGatewayError(status, call.endpoint.site, message);
  };
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(call.url.host, call.url.port, ec);
  if (ec) return fail("cannot resolve");
  stream.expires_after(std::chrono::milliseconds(call.options.connect_timeout_ms));
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.run();
  if (ec) return fail("cannot connect to");
  ioc.restart();

  http::request<http::string_body> req;
  switch (method) {
    case Method::kPost:
      req.method(http::verb::post);
      break;
    case Method::kPut:
      req.method(http::verb::put);
      break;
    case Method::kDelete:
      req.method(http::verb::delete_);
      break;
    case Method::kPatch:
      req.method(http::verb::patch);
      break;
    default:
      req.method(http::verb::get);
      break;
  }
  req.target(call.target);
  req.version(11);
  req.set(http::field::host, absl::StrCat(call.url.host, ":", call.url.port));
  req.set(http::field::user_agent, "didban-center");
  if (!call.endpoint.token.empty()) req.set(http::field::authorization, "Bearer " + call.endpoint.token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(static_cast<uint64_t>(std::max<int64_t>(call.options.max_answer_bytes, 0)));
  beast::flat_buffer buffer;
  const char* step = "cannot send to";
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  http::async_write(stream, req, [&](beast::error_code e, size_t) {
    ec = e;
    if (ec) return;
    step = "reading the answer of";
    http::async_read(stream, buffer, parser, [&](beast::error_code e2, size_t) { ec = e2; });
  });
  ioc.run();
  if (ec == http::error::body_limit) {
    return StationGatewayError(502, call.endpoint.site,
                               absl::StrCat("station '", call.endpoint.site, "': its answer is over ",
                                            call.options.max_answer_bytes, " bytes"));
  }
  if (ec) return fail(step);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  http::response<http::string_body> res = parser.release();
  ApiResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  if (auto it = res.find("X-Didban-Masked"); it != res.end()) {
    out.headers.emplace_back("X-Didban-Masked", std::string(it->value()));
  }
  return out;
}

ApiResponse StationPreflight(const StationCall& call, const std::string& camera) {
  StationCall status = call;
  status.target = absl::StrCat(call.url.prefix, "/api/v1/cameras/", Encode(camera), "/status");
  return FetchFromStation(status, Method::kGet, "");
}

absl::Status RefreshStationOwners(StationDirectory& stations, const std::string& site) {
  StationCall call;
  call.endpoint = stations.EndpointOf(site);
  call.options = stations.ProxyOptions();
  if (call.endpoint.url.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("station '", site, "': no API address (--station-url)"));
  }
  DIDBAN_ASSIGN_OR_RETURN(call.url, ParseStationApiUrl(call.endpoint.url));
  call.target = call.url.prefix + "/api/v1/cameras";
  const ApiResponse a = FetchFromStation(call, Method::kGet, "");
  const json list = json::parse(a.body, nullptr, false);
  if (a.status != 200 || !list.is_object() || !list.contains("cameras") || !list["cameras"].is_array()) {
    return absl::UnavailableError(
        absl::StrCat("station '", site, "': camera list: ", a.status, " ", a.body.substr(0, 200)));
  }
  std::map<std::string, std::string> owners;
  for (const json& c : list["cameras"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
    std::string owner;
    if (c.contains("definition") && c["definition"].is_object()) {
      auto it = c["definition"].find("owner");
      if (it != c["definition"].end() && it->is_string()) owner = it->get<std::string>();
    }
    owners[c["name"].get<std::string>()] = owner;
  }
  stations.SetOwners(site, owners);
  return absl::OkStatus();
}

bool IsStationStreamRoute(const Route& route) {
  return route.path == kStationLiveMjpegPath || route.path == kStationClipVideoPath;
}

bool IsStationWebSocketRoute(const Route& route) { return route.path == kStationLiveMp4Path; }

std::optional<ApiResponse> AdmitStationUpgrade(const StationDirectory* stations, const ApiRequest& request,
                                               StationCall* call) {
  absl::StatusOr<StationCall> c = PrepareStationCall(stations, request);
  if (!c.ok()) return ErrorResponse(c.status());
  ApiResponse pre = StationPreflight(*c, request.path_params.at("camera"));
  if (pre.status != 200) return pre;
  *call = *std::move(c);
  return std::nullopt;
}

}  // namespace didban::server
