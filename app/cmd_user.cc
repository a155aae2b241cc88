// `didban user add|list|remove|passwd|grant|revoke|token --data DIR`: manages the users, camera grants and API
// tokens of a serve data folder's auth database (DIR/auth.db). Passwords are read from --password-file or from stdin
// (first line), never from the command line; weak or empty ones are refused. A running server sees changes within
// seconds (auth/auth_store.h). Changes are recorded in DIR/audit.db with source "cli".
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "app/command.h"
#include "app/serve_auth.h"
#include "audit/audit_log.h"
#include "auth/auth_store.h"

namespace didban::app {
namespace {

struct UserFlags {
  std::string data;
  std::string name;
  std::string role = "viewer";
  std::string language = "en";
  std::string password_file;
  std::vector<std::string> grants;
  // token
  std::string token_name;
  std::string scope = "viewer";
  std::vector<std::string> cameras;
  double ttl_days = 90;
  std::string revoke;
  bool list = false;
  // update
  std::optional<std::string> set_role;
  bool disable = false, enable = false;
};

absl::StatusOr<std::string> ReadPassword(const std::string& file) {
  std::string line;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError(absl::StrCat("--password-file ", file, ": cannot read"));
    std::getline(in, line);
  } else {
    if (isatty(STDIN_FILENO)) std::fprintf(stderr, "password: ");
    std::getline(std::cin, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError("password: empty");
  return line;
}

absl::StatusOr<std::unique_ptr<auth::AuthStore>> Open(const UserFlags& f) {
  if (f.data.empty()) return absl::InvalidArgumentError("--data: the serve data folder is required");
  std::error_code ec;
  std::filesystem::create_directories(f.data, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(f.data, ": cannot create: ", ec.message()));
  return auth::AuthStore::Open(AuthDbPath(f.data));
}

// Records a change in DIR/audit.db (best effort: a failure is reported, the change stands).
void Audit(const UserFlags& f, const std::string& action, const std::string& target, nlohmann::json detail = {}) {
  auto log = audit::AuditLog::Open((std::filesystem::path(f.data) / "audit.db").string());
  if (!log.ok()) {
    std::fprintf(stderr, "didban user: audit log: %s\n", std::string(log.status().message()).c_str());
    return;
  }
  audit::AuditEntry e;
  e.actor = "cli";
  if (const char* user = std::getenv("USER")) e.actor = absl::StrCat("cli:", user);
  e.action = action;
  e.target = target;
  e.source = "cli";
  if (detail.is_object()) e.detail = std::move(detail);
  (*log)->Record(std::move(e));
  (void)(*log)->Close();
}

std::string Time(TimeUs us) {
  return us == 0 ? "-" : absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

absl::Status Run(const std::string& action, const UserFlags& f) {
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<auth::AuthStore> s, Open(f));
  if (action == "add") {
    DIDBAN_ASSIGN_OR_RETURN(auth::Role role, auth::ParseRole(f.role));
    std::vector<auth::Grant> grants;
    for (const std::string& g : f.grants) {
      DIDBAN_ASSIGN_OR_RETURN(auth::Grant grant, auth::ParseGrant(g));
      grants.push_back(grant);
    }
    DIDBAN_ASSIGN_OR_RETURN(std::string password, ReadPassword(f.password_file));
    DIDBAN_RETURN_IF_ERROR(s->AddUser(f.name, role, password, f.language));
    for (const auth::Grant& g : grants) DIDBAN_RETURN_IF_ERROR(s->AddGrant(f.name, g));
    Audit(f, "user_add", "user:" + f.name, {{"role", f.role}});
    std::printf("user %s added (%s)\n", f.name.c_str(), f.role.c_str());
  } else if (action == "list") {
    DIDBAN_ASSIGN_OR_RETURN(std::vector<auth::User> users, s->ListUsers());
    std::printf("%-20s %-9s %-4s %-9s %s\n", "name", "role", "lang", "state", "grants");
    for (const auth::User& u : users) {
      std::vector<std::string> grants;
      for (const auth::Grant& g : u.grants) grants.push_back(auth::GrantText(g));
      std::printf("%-20s %-9s %-4s %-9s %s\n", u.name.c_str(), std::string(auth::RoleName(u.role)).c_str(),
                  u.language.c_str(), u.disabled ? "disabled" : "active", absl::StrJoin(grants, " ").c_str());
    }
  } else if (action == "remove") {
    DIDBAN_RETURN_IF_ERROR(s->RemoveUser(f.name));
    Audit(f, "user_remove", "user:" + f.name);
    std::printf("user %s removed\n", f.name.c_str());
  } else if (action == "passwd") {
    DIDBAN_ASSIGN_OR_RETURN(std::string password, ReadPassword(f.password_file));
    DIDBAN_RETURN_IF_ERROR(s->SetPassword(f.name, password));
    Audit(f, "user_password", "user:" + f.name);
    std::printf("password of %s changed (their sessions ended)\n", f.name.c_str());
  } else if (action == "set") {
    std::optional<auth::Role> role;
    if (f.set_role) {
      DIDBAN_ASSIGN_OR_RETURN(role, auth::ParseRole(*f.set_role));
    }
    std::optional<bool> disabled;
    if (f.disable) disabled = true;
    if (f.enable) disabled = false;
    DIDBAN_RETURN_IF_ERROR(s->UpdateUser(f.name, role, std::nullopt, disabled));
    Audit(f, "user_change", "user:" + f.name);
    std::printf("user %s changed\n", f.name.c_str());
  } else if (action == "grant" || action == "revoke") {
    for (const std::string& text : f.grants) {
      DIDBAN_ASSIGN_OR_RETURN(auth::Grant g, auth::ParseGrant(text));
      DIDBAN_RETURN_IF_ERROR(action == "grant" ? s->AddGrant(f.name, g) : s->RemoveGrant(f.name, g));
      Audit(f, action == "grant" ? "permission_grant" : "permission_revoke", "user:" + f.name,
            {{"grant", auth::GrantText(g)}});
      std::printf("%s %s %s\n", action == "grant" ? "granted" : "revoked", f.name.c_str(), auth::GrantText(g).c_str());
    }
  } else if (action == "token") {
    if (!f.revoke.empty()) {
      DIDBAN_RETURN_IF_ERROR(s->RevokeToken(f.revoke));
      Audit(f, "token_revoke", "token:" + f.revoke);
      std::printf("token %s revoked\n", f.revoke.c_str());
    } else if (f.list || f.name.empty()) {
      DIDBAN_ASSIGN_OR_RETURN(std::vector<auth::TokenInfo> tokens, s->ListTokens(f.name));
      std::printf("%-18s %-16s %-16s %-9s %-16s %s\n", "id", "user", "name", "scope", "expires", "state");
      for (const auth::TokenInfo& t : tokens) {
        std::printf("%-18s %-16s %-16s %-9s %-16s %s\n", t.id.c_str(), t.user.c_str(), t.name.c_str(), t.scope.c_str(),
                    Time(t.expires_us).c_str(), t.revoked_us ? "revoked" : "active");
      }
    } else {
      std::optional<std::vector<std::string>> cameras;
      if (!f.cameras.empty()) cameras = f.cameras;
      DIDBAN_ASSIGN_OR_RETURN(auth::NewToken t,
                              s->CreateToken(f.name, f.token_name.empty() ? "token" : f.token_name, f.scope, cameras,
                                             static_cast<TimeUs>(f.ttl_days * 86400.0) * kUsPerSecond));
      Audit(f, "token_create", "token:" + t.info.id, {{"user", f.name}, {"scope", f.scope}});
      std::fprintf(stderr, "token %s for %s (%s), expires %s; shown once:\n", t.info.id.c_str(), f.name.c_str(),
                   f.scope.c_str(), Time(t.info.expires_us).c_str());
      std::printf("%s\n", t.secret.c_str());
    }
  }
  return absl::OkStatus();
}

void Setup(CLI::App& root, int* exit_code) {
  auto f = std::make_shared<UserFlags>();
  CLI::App* user = CommandGroup(root, "user", "Users, camera grants and API tokens of a serve data folder");
  auto add = [&](const std::string& name, const std::string& help, bool needs_name) {
    CLI::App* c = user->add_subcommand(name, help);
    c->add_option("--data", f->data, "The serve data folder (its auth.db)")->required();
    if (needs_name) c->add_option("name", f->name, "User name")->required();
    c->callback([f, exit_code, name] {
      absl::Status s = Run(name, *f);
      if (!s.ok()) {
        std::fprintf(stderr, "didban user %s: %s\n", name.c_str(), std::string(s.message()).c_str());
        *exit_code = 1;
      }
    });
    return c;
  };
  CLI::App* a = add("add", "Adds a user; the password is read from stdin (or --password-file)", true);
  a->add_option("--role", f->role, "admin, operator or viewer")->required();
  a->add_option("--language", f->language, "fa or en")->capture_default_str();
  a->add_option("--password-file", f->password_file, "Read the password from this file's first line");
  a->add_option("--grant", f->grants, "camera:NAME, owner:NAME, site:NAME or all (repeat)");
  add("list", "Lists users, roles and grants", false);
  add("remove", "Removes a user with their grants, sessions and tokens", true);
  CLI::App* p = add("passwd", "Sets a user's password (stdin or --password-file); ends their sessions", true);
  p->add_option("--password-file", f->password_file, "Read the password from this file's first line");
  CLI::App* set = add("set", "Changes a user's role, or disables/enables them", true);
  set->add_option("--role", f->set_role, "admin, operator or viewer");
  set->add_flag("--disable", f->disable, "Disable (ends their sessions)");
  set->add_flag("--enable", f->enable, "Enable again");
  add("grant", "Grants cameras: camera:NAME, owner:NAME, site:NAME or all", true)
      ->add_option("grants", f->grants, "Grants")
      ->required();
  add("revoke", "Takes grants back", true)->add_option("grants", f->grants, "Grants")->required();
  CLI::App* t =
      user->add_subcommand("token", "Creates (NAME given), lists (--list) or revokes (--revoke ID) API tokens");
  t->add_option("--data", f->data, "The serve data folder (its auth.db)")->required();
  t->add_option("name", f->name, "The user the token acts for");
  t->add_option("--name", f->token_name, "What the token is for (e.g. prometheus)");
  t->add_option("--scope", f->scope, "viewer, operator, admin (at most the user's role) or metrics")
      ->capture_default_str();
  t->add_option("--camera", f->cameras, "Only this camera (repeat); default: the user's grants");
  t->add_option("--ttl-days", f->ttl_days, "Days until it expires")->capture_default_str();
  t->add_option("--revoke", f->revoke, "Revoke the token with this id");
  t->add_flag("--list", f->list, "List tokens (of NAME, or all)");
  t->callback([f, exit_code] {
    absl::Status s = Run("token", *f);
    if (!s.ok()) {
      std::fprintf(stderr, "didban user token: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
    }
  });
}

DIDBAN_REGISTER_COMMAND(user, Setup);

}  // namespace
}  // namespace didban::app
