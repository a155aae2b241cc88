// The web UI's files (web/dist) served at / by `didban serve`: GET / is index.html, other paths are files under the
// root (hashed /assets/* cached for a year, the rest revalidated). Paths are checked segment by segment (no '.'
// or '..' segments, no hidden names, no backslashes or NUL) and the resolved file must lie inside the root (so a
// symbolic link cannot lead out). Content types by extension; HTML carries a Content-Security-Policy with
// default-src 'self'. Thread-safe (reads files per request; the files are small).
#ifndef DIDBAN_SERVER_STATIC_FILES_H_
#define DIDBAN_SERVER_STATIC_FILES_H_

#include <string>

#include "didban/status.h"
#include "server/router.h"

namespace didban::server {

class StaticFiles {
 public:
  // `root` must be a folder holding index.html.
  static absl::StatusOr<StaticFiles> Open(const std::string& root);

  // The reply for GET `path` (already percent-decoded): 200 with the file, or a JSON 404 naming `path`.
  ApiResponse Serve(const std::string& path) const;

  const std::string& root() const { return root_; }

  // "text/html; charset=utf-8" for "index.html", ... ; "application/octet-stream" when unknown.
  static std::string ContentType(const std::string& path);

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  std::string root_;  // canonical, no trailing '/'
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_STATIC_FILES_H_
