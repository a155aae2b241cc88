// Who may do what: roles, grants of cameras (per camera, per owner, per site, or all), and the Principal the server
// checks a request against (a logged-in user or an API token). Plain values; thread-compatible.
#ifndef DIDBAN_AUTH_IDENTITY_H_
#define DIDBAN_AUTH_IDENTITY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "didban/status.h"
#include "didban/time.h"

namespace didban::auth {

// Roles are ordered: a viewer reads (kView routes), an operator also acknowledges and exports (kOperate), an admin
// also changes the site, users and permissions (kAdmin) and sees every camera.
enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
absl::string_view RoleName(Role role);  // "viewer", "operator", "admin"
absl::StatusOr<Role> ParseRole(absl::string_view name);

// A grant of cameras: kind "camera" (value: camera name), "owner" (cameras whose site-file `owner:` is value),
// "site" (every camera of the site named value), or "all" (value "").
struct Grant {
  std::string kind;
  std::string value;
  bool operator==(const Grant& o) const { return kind == o.kind && value == o.value; }
};
// "camera:north", "owner:city", "site:tehran", "all".
std::string GrantText(const Grant& g);
// Parses GrantText's form; refuses an unknown kind or a value that is not a name ([A-Za-z0-9_.-], 1..128).
absl::StatusOr<Grant> ParseGrant(absl::string_view text);

// What a grant is checked against.
struct CameraRef {
  std::string name;
  std::string owner;  // "" when the camera has no owner
  std::string site;
};

// Users' names and camera names: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-'.
bool IsValidUserName(absl::string_view name);
// "fa" or "en".
bool IsValidLanguage(absl::string_view language);

struct User {
  std::string name;
  Role role = Role::kViewer;
  std::string language = "en";
  bool disabled = false;
  TimeUs created_us = 0;
  std::vector<Grant> grants;
};

// The authenticated caller of one request.
struct Principal {
  std::string name;  // the user (a token acts for its user)
  Role role = Role::kViewer;
  std::string language = "en";
  std::vector<Grant> grants;  // the user's grants
  // API tokens: the token's id, its camera scope (when set, a camera must also be in this list) and whether it may
  // only read /metrics.
  std::string token_id;
  std::optional<std::vector<std::string>> token_cameras;
  bool metrics_only = false;
  // Sessions: the CSRF token that state-changing requests must echo in X-CSRF-Token.
  std::string csrf_token;

  // True when every camera is visible (admins, an "all" grant) and no token scope narrows it; site-wide grants need
  // the site's name, see MaySee().
  bool AllCameras(absl::string_view site) const;
  bool MaySee(const CameraRef& camera) const;
  // The audit actor: the user's name, or "token:<id>".
  std::string Actor() const;
};

}  // namespace didban::auth

#endif  // DIDBAN_AUTH_IDENTITY_H_
