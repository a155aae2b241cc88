#include "auth/identity.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace didban::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(absl::StrCat("role: '", name, "' is not admin, operator or viewer"));
}

bool IsValidUserName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool IsValidLanguage(absl::string_view language) { return language == "fa" || language == "en"; }

std::string GrantText(const Grant& g) { return g.kind == "all" ? "all" : absl::StrCat(g.kind, ":", g.value); }

absl::StatusOr<Grant> ParseGrant(absl::string_view text) {
  if (text == "all" || text == "*") return Grant{"all", ""};
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("grant '", text, "': expected camera:NAME, owner:NAME, site:NAME or all"));
  }
  Grant g{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  if (g.kind != "camera" && g.kind != "owner" && g.kind != "site") {
    return absl::InvalidArgumentError(absl::StrCat("grant '", text, "': unknown kind '", g.kind, "'"));
  }
  const bool ok = !g.value.empty() && g.value.size() <= 128 && std::all_of(g.value.begin(), g.value.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("grant '", text, "': the name must use [A-Za-z0-9_.-]"));
  return g;
}

bool Principal::AllCameras(absl::string_view site) const {
  if (token_cameras) return false;
  if (role == Role::kAdmin) return true;
  return std::any_of(grants.begin(), grants.end(),
                     [&](const Grant& g) { return g.kind == "all" || (g.kind == "site" && g.value == site); });
}

bool Principal::MaySee(const CameraRef& camera) const {
  if (token_cameras && std::find(token_cameras->begin(), token_cameras->end(), camera.name) == token_cameras->end()) {
    return false;
  }
  if (role == Role::kAdmin) return true;
  for (const Grant& g : grants) {
    if (g.kind == "all") return true;
    if (g.kind == "camera" && g.value == camera.name) return true;
    if (g.kind == "owner" && !camera.owner.empty() && g.value == camera.owner) return true;
    if (g.kind == "site" && g.value == camera.site) return true;
  }
  return false;
}

std::string Principal::Actor() const { return token_id.empty() ? name : absl::StrCat("token:", token_id); }

}  // namespace didban::auth
