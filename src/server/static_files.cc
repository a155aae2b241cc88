#include "server/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api_error.h"

namespace didban::server {

namespace fs = std::filesystem;

namespace {

ApiResponse NotFound(const std::string& path) {
  return ErrorResponse(FieldError(absl::StatusCode::kNotFound, "path", absl::StrCat(path, ": no such file")));
}

}  // namespace

absl::StatusOr<StaticFiles> StaticFiles::Open(const std::string& root) {
  std::error_code ec;
  const fs::path canon = fs::canonical(root, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("web folder '", root, "': ", ec.message()));
  if (!fs::is_regular_file(canon / "index.html", ec)) {
    return absl::NotFoundError(absl::StrCat("web folder '", root, "': no index.html (build it: scripts/web.sh)"));
  }
  return StaticFiles(canon.string());
}

std::string StaticFiles::ContentType(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWith(path, ext)) return type;
  }
  return "application/octet-stream";
}

ApiResponse StaticFiles::Serve(const std::string& path) const {
  std::string rel = path == "/" || path.empty() ? "index.html" : path.substr(1);
  for (absl::string_view seg : absl::StrSplit(rel, '/')) {
    if (seg.empty() || seg[0] == '.' || seg.find('\\') != absl::string_view::npos ||
        seg.find('\0') != absl::string_view::npos) {
      return NotFound(path);
    }
  }
  std::error_code ec;
  const fs::path file = fs::canonical(fs::path(root_) / rel, ec);
  if (ec || !absl::StartsWith(file.string(), root_ + "/") || !fs::is_regular_file(file, ec)) return NotFound(path);
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound(path);
  std::ostringstream body;
  body << in.rdbuf();
  ApiResponse r;
  r.status = 200;
  r.content_type = ContentType(rel);
  r.body = std::move(body).str();
  if (absl::StartsWith(rel, "assets/")) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");  // names carry a content hash
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  if (absl::EndsWith(rel, ".html")) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                           "object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return r;
}

}  // namespace didban::server
