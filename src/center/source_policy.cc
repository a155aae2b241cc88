#include "center/source_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace didban::center {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSchemes[] = {"rtsp", "rtsps", "http", "https", "file", "sim"};

absl::Status Refuse(const std::string& what) { return absl::InvalidArgumentError(absl::StrCat("camera.uri: ", what)); }

std::string Canonical(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? p.lexically_normal() : c).string();
}

bool Under(const std::string& path, const std::string& root) {
  if (path == root) return true;
  const std::string prefix = absl::EndsWith(root, "/") ? root : root + "/";
  return absl::StartsWith(path, prefix);
}

// An IPv4 literal as a number; false for anything else.
bool Ipv4(const std::string& text, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

bool HostMatches(const std::string& host, const std::string& pattern) {
  if (absl::StartsWith(pattern, "*.")) return absl::EndsWith(host, pattern.substr(1));
  const size_t slash = pattern.find('/');
  if (slash != std::string::npos) {
    uint32_t net = 0, ip = 0;
    int bits = 0;
    if (!Ipv4(pattern.substr(0, slash), &net) || !absl::SimpleAtoi(pattern.substr(slash + 1), &bits) ||
        !Ipv4(host, &ip)) {
      return false;
    }
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (ip & mask) == (net & mask);
  }
  return host == pattern;
}

// The host of "scheme://[user[:pass]@]host[:port][/...]" in lower case ("" when there is none).
std::string HostOf(const std::string& rest) {
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (absl::StartsWith(authority, "[")) {  // IPv6 literal
    const size_t close = authority.find(']');
    return absl::AsciiStrToLower(authority.substr(1, close == std::string::npos ? std::string::npos : close - 1));
  }
  return absl::AsciiStrToLower(authority.substr(0, authority.find(':')));
}

absl::StatusOr<std::vector<std::string>> StringList(const nlohmann::json& section, const char* key) {
  std::vector<std::string> out;
  if (!section.contains(key)) return out;
  const nlohmann::json& list = section.at(key);
  if (!list.is_array()) return absl::InvalidArgumentError(absl::StrCat("sources.", key, ": expected a list"));
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string() || list[i].get<std::string>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("sources.", key, "[", i, "]: expected a non-empty string"));
    }
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

}  // namespace

absl::StatusOr<SourcePolicy> SourcePolicy::FromSection(const nlohmann::json& section, const std::string& site_dir) {
  SourcePolicy p;
  const fs::path base = site_dir.empty() ? fs::current_path() : fs::absolute(site_dir);
  if (!section.is_null() && !section.is_object()) {
    return absl::InvalidArgumentError("sources: expected a mapping (schemes, hosts, file_roots)");
  }
  const nlohmann::json s = section.is_null() ? nlohmann::json::object() : section;
  for (const auto& [key, value] : s.items()) {
    if (key != "schemes" && key != "hosts" && key != "file_roots") {
      return absl::InvalidArgumentError(
          absl::StrCat("sources.", key, ": unknown key (known: file_roots, hosts, schemes)"));
    }
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<std::string> schemes, StringList(s, "schemes"));
  if (!s.contains("schemes")) schemes.assign(std::begin(kSchemes), std::end(kSchemes));
  for (size_t i = 0; i < schemes.size(); ++i) {
    const std::string scheme = absl::AsciiStrToLower(schemes[i]);
    if (std::find(std::begin(kSchemes), std::end(kSchemes), scheme) == std::end(kSchemes)) {
      return absl::InvalidArgumentError(absl::StrCat("sources.schemes[", i, "]: unknown scheme '", schemes[i],
                                                     "' (known: ", absl::StrJoin(kSchemes, ", "), ")"));
    }
    p.schemes_.insert(scheme);
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<std::string> hosts, StringList(s, "hosts"));
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string h = absl::AsciiStrToLower(hosts[i]);
    const size_t slash = h.find('/');
    uint32_t ip = 0;
    int bits = -1;
    if (slash != std::string::npos &&
        (!Ipv4(h.substr(0, slash), &ip) || !absl::SimpleAtoi(h.substr(slash + 1), &bits) || bits < 0 || bits > 32)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sources.hosts[", i, "]: '", hosts[i], "' is not an IPv4 CIDR block (a.b.c.d/0-32)"));
    }
    p.hosts_.push_back(h);
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<std::string> roots, StringList(s, "file_roots"));
  if (!s.contains("file_roots")) roots.push_back(base.string());
  for (const std::string& r : roots) {
    const fs::path root(r);
    p.file_roots_.push_back(Canonical(root.is_absolute() ? root : base / root));
  }
  return p;
}

absl::Status SourcePolicy::Check(const std::string& uri) const {
  const size_t sep = uri.find("://");
  const std::string scheme = sep == std::string::npos ? "file" : absl::AsciiStrToLower(uri.substr(0, sep));
  if (!schemes_.count(scheme)) {
    return Refuse(absl::StrCat("the site does not allow '", scheme,
                               "' sources (sources.schemes: ", absl::StrJoin(schemes_, ", "), ")"));
  }
  if (scheme == "file") {
    const std::string path = sep == std::string::npos ? uri : uri.substr(sep + 3);
    if (!fs::path(path).is_absolute()) return Refuse("a file camera needs an absolute path");
    const std::string canonical = Canonical(path);
    for (const std::string& root : file_roots_) {
      if (Under(canonical, root)) return absl::OkStatus();
    }
    return Refuse(absl::StrCat("'", canonical, "' is outside the folders the site allows (sources.file_roots: ",
                               absl::StrJoin(file_roots_, ", "), ")"));
  }
  if (scheme == "sim" || hosts_.empty()) return absl::OkStatus();
  const std::string host = HostOf(uri.substr(sep + 3));
  if (host.empty()) return Refuse("no host");
  for (const std::string& pattern : hosts_) {
    if (HostMatches(host, pattern)) return absl::OkStatus();
  }
  return Refuse(absl::StrCat("host '", host, "' is not one the site allows (sources.hosts)"));
}

}  // namespace didban::center
