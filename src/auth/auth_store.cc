#include "auth/auth_store.h"

#include <sodium.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "store/sqlite_connection.h"

namespace didban::auth {
namespace {

using store::Row;
using store::Value;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  language TEXT NOT NULL,
  password TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL,
  password_changed_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  user TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (user, kind, value)
);
CREATE TABLE IF NOT EXISTS sessions (
  hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  address TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  user TEXT NOT NULL,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  cameras TEXT,
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL,
  revoked_us INTEGER NOT NULL DEFAULT 0,
  last_used_us INTEGER NOT NULL DEFAULT 0
);
)sql";

// Well-known passwords refused whatever their length (a short list; length does the rest).
constexpr const char* kCommonPasswords[] = {"password",   "password1",     "password123", "1234567890", "12345678910",
                                            "qwertyuiop", "administrator", "letmein123",  "iloveyou12", "changeme",
                                            "welcome123", "didbandidban",  "0123456789",  "abcdefghij", "passw0rd!!"};

// `bytes` random bytes as base64url without padding.
std::string RandomText(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), buf.data(), buf.size());
  out.resize(bytes * 2);
  return out;
}

// SHA-256 of `secret`, hex.
std::string Sha256Hex(const std::string& secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  std::string out(crypto_hash_sha256_BYTES * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), digest, sizeof(digest));
  out.resize(crypto_hash_sha256_BYTES * 2);
  return out;
}

absl::Status NoUser(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("user '", name, "': no such user"));
}

absl::Status CheckName(const std::string& name) {
  if (!IsValidUserName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("user name '", name, "': 1 to 64 of [A-Za-z0-9_.-], not starting with '.' or '-'"));
  }
  return absl::OkStatus();
}

absl::Status BadLogin() { return absl::UnauthenticatedError("login: wrong user name or password"); }

std::string CamerasText(const std::optional<std::vector<std::string>>& cameras) {
  return cameras ? absl::StrJoin(*cameras, ",") : std::string();
}

}  // namespace

absl::Status AuthOptions::Validate() const {
  if (pwhash_opslimit < crypto_pwhash_OPSLIMIT_MIN) return absl::InvalidArgumentError("auth: pwhash_opslimit too low");
  if (pwhash_memlimit_bytes < crypto_pwhash_MEMLIMIT_MIN) {
    return absl::InvalidArgumentError("auth: pwhash_memlimit_bytes below libsodium's minimum");
  }
  if (min_password_length < 8) return absl::InvalidArgumentError("auth: min_password_length must be >= 8");
  if (session_idle_us <= 0 || session_max_us <= 0 || cache_us < 0 || session_touch_us < 0) {
    return absl::InvalidArgumentError("auth: session times must be positive");
  }
  if (login.max_user_failures < 1 || login.max_address_failures < 1) {
    return absl::InvalidArgumentError("auth: login failure limits must be >= 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AuthStore>> AuthStore::Open(const std::string& path, AuthOptions options, Clock* clock) {
  if (sodium_init() < 0) return absl::InternalError("auth: libsodium failed to initialise");
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> conn,
                          store::OpenSqliteConnection(path, /*writer=*/true, 5 * kUsPerSecond));
  DIDBAN_RETURN_IF_ERROR(conn->ExecScript(kSchema));
  auto s = std::unique_ptr<AuthStore>(new AuthStore(std::move(conn), options, clock ? clock : &SystemClock()));
  DIDBAN_ASSIGN_OR_RETURN(s->dummy_hash_, s->HashPassword(RandomText(16)));
  return s;
}

AuthStore::AuthStore(std::unique_ptr<store::Connection> conn, AuthOptions options, Clock* clock)
    : options_(options), clock_(clock), limiter_(options.login, clock), conn_(std::move(conn)) {}

AuthStore::~AuthStore() = default;

absl::StatusOr<std::string> AuthStore::HashPassword(const std::string& password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), options_.pwhash_opslimit,
                        options_.pwhash_memlimit_bytes) != 0) {
    return absl::ResourceExhaustedError("password: hashing failed (out of memory)");
  }
  return std::string(out);
}

absl::Status AuthStore::CheckPassword(const std::string& user, const std::string& password) const {
  if (password.size() < options_.min_password_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: too short (at least ", options_.min_password_length, " characters)"));
  }
  if (password.size() > 1024) return absl::InvalidArgumentError("password: longer than 1024 characters");
  if (absl::AsciiStrToLower(password) == absl::AsciiStrToLower(user)) {
    return absl::InvalidArgumentError("password: must differ from the user name");
  }
  if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password[0]; })) {
    return absl::InvalidArgumentError("password: one repeated character");
  }
  const std::string lower = absl::AsciiStrToLower(password);
  for (const char* common : kCommonPasswords) {
    if (lower == common) return absl::InvalidArgumentError("password: a well-known password");
  }
  return absl::OkStatus();
}

absl::Status AuthStore::AddUser(const std::string& name, Role role, const std::string& password,
                                const std::string& language) {
  DIDBAN_RETURN_IF_ERROR(CheckName(name));
  if (!IsValidLanguage(language)) return absl::InvalidArgumentError("language: must be fa or en");
  DIDBAN_RETURN_IF_ERROR(CheckPassword(name, password));
  DIDBAN_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT 1 FROM users WHERE name = ?1", {name}));
  if (!rows.empty()) return absl::AlreadyExistsError(absl::StrCat("user '", name, "': exists"));
  return conn_
      ->Exec(
          "INSERT INTO users (name, role, language, password, disabled, created_us, password_changed_us) "
          "VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
          {name, std::string(RoleName(role)), language, hash, now})
      .status();
}

absl::Status AuthStore::EndSessionsOf(const std::string& user) {
  DIDBAN_RETURN_IF_ERROR(conn_->Exec("DELETE FROM sessions WHERE user = ?1", {user}).status());
  ForgetCached(user);
  return absl::OkStatus();
}

void AuthStore::ForgetCached(const std::string& user) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.principal.name == user ? cache_.erase(it) : std::next(it);
  }
}

absl::Status AuthStore::RemoveUser(const std::string& name) {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(int64_t n, conn_->Exec("DELETE FROM users WHERE name = ?1", {name}));
  if (n == 0) return NoUser(name);
  DIDBAN_RETURN_IF_ERROR(conn_->Exec("DELETE FROM grants WHERE user = ?1", {name}).status());
  DIDBAN_RETURN_IF_ERROR(conn_->Exec("DELETE FROM tokens WHERE user = ?1", {name}).status());
  return EndSessionsOf(name);
}

absl::Status AuthStore::SetPassword(const std::string& name, const std::string& password) {
  DIDBAN_RETURN_IF_ERROR(CheckPassword(name, password));
  DIDBAN_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(int64_t n, conn_->Exec("UPDATE users SET password = ?1, password_changed_us = ?2 "
                                                 "WHERE name = ?3",
                                                 {hash, clock_->NowUs(), name}));
  if (n == 0) return NoUser(name);
  return EndSessionsOf(name);
}

absl::Status AuthStore::UpdateUser(const std::string& name, std::optional<Role> role,
                                   std::optional<std::string> language, std::optional<bool> disabled) {
  if (language && !IsValidLanguage(*language)) return absl::InvalidArgumentError("language: must be fa or en");
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT 1 FROM users WHERE name = ?1", {name}));
  if (rows.empty()) return NoUser(name);
  if (role) {
    DIDBAN_RETURN_IF_ERROR(
        conn_->Exec("UPDATE users SET role = ?1 WHERE name = ?2", {std::string(RoleName(*role)), name}).status());
  }
  if (language) {
    DIDBAN_RETURN_IF_ERROR(conn_->Exec("UPDATE users SET language = ?1 WHERE name = ?2", {*language, name}).status());
  }
  if (disabled) {
    DIDBAN_RETURN_IF_ERROR(
        conn_->Exec("UPDATE users SET disabled = ?1 WHERE name = ?2", {int64_t{*disabled ? 1 : 0}, name}).status());
    if (*disabled) DIDBAN_RETURN_IF_ERROR(EndSessionsOf(name));
  }
  ForgetCached(name);
  return absl::OkStatus();
}

absl::StatusOr<User> AuthStore::GetUser(const std::string& name) {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(Principal p, LoadPrincipal(name));
  DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT disabled, created_us FROM users WHERE name = ?1", {name}));
  User u;
  u.name = p.name;
  u.role = p.role;
  u.language = p.language;
  u.grants = p.grants;
  u.disabled = rows[0].Int(0) != 0;
  u.created_us = rows[0].Int(1);
  return u;
}

absl::StatusOr<std::vector<User>> AuthStore::ListUsers() {
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT name FROM users ORDER BY name", {}));
    for (const Row& r : rows) names.push_back(r.Str(0));
  }
  std::vector<User> out;
  for (const std::string& n : names) {
    absl::StatusOr<User> u = GetUser(n);
    if (u.ok()) out.push_back(*std::move(u));  // removed meanwhile: skipped
  }
  return out;
}

absl::StatusOr<int64_t> AuthStore::UserCount() {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT COUNT(*) FROM users", {}));
  return rows[0].Int(0);
}

absl::Status AuthStore::AddGrant(const std::string& user, const Grant& grant) {
  DIDBAN_RETURN_IF_ERROR(ParseGrant(GrantText(grant)).status());
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT 1 FROM users WHERE name = ?1", {user}));
  if (rows.empty()) return NoUser(user);
  DIDBAN_RETURN_IF_ERROR(conn_
                             ->Exec("INSERT OR IGNORE INTO grants (user, kind, value) VALUES (?1, ?2, ?3)",
                                    {user, grant.kind, grant.value})
                             .status());
  ForgetCached(user);
  return absl::OkStatus();
}

absl::Status AuthStore::RemoveGrant(const std::string& user, const Grant& grant) {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(int64_t n, conn_->Exec("DELETE FROM grants WHERE user = ?1 AND kind = ?2 AND value = ?3",
                                                 {user, grant.kind, grant.value}));
  if (n == 0) {
    return absl::NotFoundError(absl::StrCat("grant ", GrantText(grant), " of user '", user, "': none"));
  }
  ForgetCached(user);
  return absl::OkStatus();
}

absl::StatusOr<Principal> AuthStore::LoadPrincipal(const std::string& user) {
  DIDBAN_ASSIGN_OR_RETURN(auto rows,
                          conn_->Query("SELECT role, language, disabled FROM users WHERE name = ?1", {user}));
  if (rows.empty()) return NoUser(user);
  Principal p;
  p.name = user;
  DIDBAN_ASSIGN_OR_RETURN(p.role, ParseRole(rows[0].Str(0)));
  p.language = rows[0].Str(1);
  if (rows[0].Int(2) != 0) return absl::PermissionDeniedError(absl::StrCat("user '", user, "': disabled"));
  DIDBAN_ASSIGN_OR_RETURN(auto grants, conn_->Query("SELECT kind, value FROM grants WHERE user = ?1 "
                                                    "ORDER BY kind, value",
                                                    {user}));
  for (const Row& g : grants) p.grants.push_back(Grant{g.Str(0), g.Str(1)});
  return p;
}

int64_t AuthStore::LoginRetryAfterS(const std::string& user, const std::string& address) {
  return limiter_.RetryAfterS(user, address);
}

absl::StatusOr<NewSession> AuthStore::Login(const std::string& user, const std::string& password,
                                            const std::string& address) {
  if (const int64_t wait = limiter_.RetryAfterS(user, address); wait > 0) {
    return absl::ResourceExhaustedError(absl::StrCat("login: too many failed attempts; retry after ", wait, " s"));
  }
  std::string hash;
  bool disabled = false;
  {
    absl::MutexLock lock(&mu_);
    DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT password, disabled FROM users WHERE name = ?1", {user}));
    if (!rows.empty()) {
      hash = rows[0].Str(0);
      disabled = rows[0].Int(1) != 0;
    }
  }
  const bool known = !hash.empty();
  // Unknown users cost the same hash check as known ones.
  const std::string& check = known ? hash : dummy_hash_;
  const bool match = crypto_pwhash_str_verify(check.c_str(), password.data(), password.size()) == 0;
  if (!known || !match || disabled) {
    limiter_.Failed(user, address);
    return BadLogin();
  }
  limiter_.Succeeded(user);
  NewSession s;
  s.id = RandomText(32);
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(s.principal, LoadPrincipal(user));
  s.principal.csrf_token = RandomText(32);
  DIDBAN_RETURN_IF_ERROR(conn_
                             ->Exec("INSERT INTO sessions (hash, user, csrf, created_us, last_seen_us, address) "
                                    "VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                                    {Sha256Hex(s.id), user, s.principal.csrf_token, now, address})
                             .status());
  return s;
}

absl::StatusOr<Principal> AuthStore::AuthenticateSession(const std::string& session_id) {
  if (session_id.empty() || session_id.size() > 128) return absl::UnauthenticatedError("session: none");
  const std::string key = Sha256Hex(session_id);
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || now - it->second.loaded_us > options_.cache_us || !it->second.principal.token_id.empty()) {
    if (it != cache_.end()) cache_.erase(it);
    DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT user, csrf, created_us, last_seen_us FROM sessions "
                                                    "WHERE hash = ?1",
                                                    {key}));
    if (rows.empty()) return absl::UnauthenticatedError("session: unknown or ended");
    absl::StatusOr<Principal> p = LoadPrincipal(rows[0].Str(0));
    if (!p.ok()) {
      (void)conn_->Exec("DELETE FROM sessions WHERE hash = ?1", {key});
      return absl::UnauthenticatedError("session: its user is gone or disabled");
    }
    Cached c;
    c.principal = *std::move(p);
    c.principal.csrf_token = rows[0].Str(1);
    c.loaded_us = now;
    c.created_us = rows[0].Int(2);
    c.last_seen_us = rows[0].Int(3);
    c.written_us = c.last_seen_us;
    if (cache_.size() > 100'000) cache_.clear();  // bound; entries reload on demand
    it = cache_.emplace(key, std::move(c)).first;
  }
  Cached& c = it->second;
  if (now - c.last_seen_us > options_.session_idle_us || now - c.created_us > options_.session_max_us) {
    cache_.erase(it);
    (void)conn_->Exec("DELETE FROM sessions WHERE hash = ?1", {key});
    return absl::UnauthenticatedError("session: expired");
  }
  c.last_seen_us = now;
  if (now - c.written_us >= options_.session_touch_us) {
    c.written_us = now;
    (void)conn_->Exec("UPDATE sessions SET last_seen_us = ?1 WHERE hash = ?2", {now, key});
  }
  return c.principal;
}

absl::Status AuthStore::Logout(const std::string& session_id) {
  const std::string key = Sha256Hex(session_id);
  absl::MutexLock lock(&mu_);
  cache_.erase(key);
  return conn_->Exec("DELETE FROM sessions WHERE hash = ?1", {key}).status();
}

absl::StatusOr<NewToken> AuthStore::CreateToken(const std::string& user, const std::string& name,
                                                const std::string& scope,
                                                std::optional<std::vector<std::string>> cameras, TimeUs ttl_us) {
  if (name.empty() || name.size() > 128) return absl::InvalidArgumentError("token name: 1 to 128 characters");
  if (ttl_us < 0 || ttl_us > options_.max_token_ttl_us) {
    return absl::InvalidArgumentError("token ttl: beyond the longest token lifetime");
  }
  if (cameras) {
    for (const std::string& c : *cameras) {
      DIDBAN_RETURN_IF_ERROR(ParseGrant(absl::StrCat("camera:", c)).status());
    }
  }
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(Principal owner, LoadPrincipal(user));
  if (scope != "metrics") {
    DIDBAN_ASSIGN_OR_RETURN(Role role, ParseRole(scope));
    if (static_cast<int>(role) > static_cast<int>(owner.role)) {
      return absl::PermissionDeniedError(
          absl::StrCat("token scope '", scope, "': above the role of user '", user, "'"));
    }
  }
  NewToken t;
  t.secret = absl::StrCat("dbt_", RandomText(32));
  t.info.id = absl::StrCat("t", RandomHex(8));
  t.info.user = user;
  t.info.name = name;
  t.info.scope = scope;
  t.info.cameras = std::move(cameras);
  t.info.created_us = clock_->NowUs();
  t.info.expires_us = t.info.created_us + (ttl_us > 0 ? ttl_us : options_.max_token_ttl_us);
  DIDBAN_RETURN_IF_ERROR(conn_
                             ->Exec("INSERT INTO tokens (id, hash, user, name, scope, cameras, created_us, expires_us) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                    {t.info.id, Sha256Hex(t.secret), user, name, scope,
                                     t.info.cameras ? Value(CamerasText(t.info.cameras)) : Value(std::monostate{}),
                                     t.info.created_us, t.info.expires_us})
                             .status());
  return t;
}

absl::StatusOr<std::vector<TokenInfo>> AuthStore::ListTokens(const std::string& user) {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(auto rows,
                          conn_->Query("SELECT id, user, name, scope, cameras, created_us, expires_us, revoked_us, "
                                       "last_used_us FROM tokens WHERE ?1 = '' OR user = ?1 ORDER BY created_us, id",
                                       {user}));
  std::vector<TokenInfo> out;
  for (const Row& r : rows) {
    TokenInfo t;
    t.id = r.Str(0);
    t.user = r.Str(1);
    t.name = r.Str(2);
    t.scope = r.Str(3);
    if (!r.Null(4)) t.cameras = absl::StrSplit(r.Str(4), ',', absl::SkipEmpty());
    t.created_us = r.Int(5);
    t.expires_us = r.Int(6);
    t.revoked_us = r.Int(7);
    t.last_used_us = r.Int(8);
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status AuthStore::RevokeToken(const std::string& id) {
  absl::MutexLock lock(&mu_);
  DIDBAN_ASSIGN_OR_RETURN(int64_t n, conn_->Exec("UPDATE tokens SET revoked_us = ?1 WHERE id = ?2 AND revoked_us = 0",
                                                 {clock_->NowUs(), id}));
  if (n == 0) {
    DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT 1 FROM tokens WHERE id = ?1", {id}));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("token '", id, "': no such token"));
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.principal.token_id == id ? cache_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> AuthStore::AuthenticateToken(const std::string& secret) {
  if (secret.size() < 8 || secret.size() > 128) return absl::UnauthenticatedError("token: unknown");
  const std::string key = Sha256Hex(secret);
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || now - it->second.loaded_us > options_.cache_us || it->second.principal.token_id.empty()) {
    if (it != cache_.end()) cache_.erase(it);
    DIDBAN_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT id, user, scope, cameras, expires_us, revoked_us "
                                                    "FROM tokens WHERE hash = ?1",
                                                    {key}));
    if (rows.empty()) return absl::UnauthenticatedError("token: unknown");
    if (rows[0].Int(5) != 0) return absl::UnauthenticatedError("token: revoked");
    absl::StatusOr<Principal> p = LoadPrincipal(rows[0].Str(1));
    if (!p.ok()) return absl::UnauthenticatedError("token: its user is gone or disabled");
    Cached c;
    c.principal = *std::move(p);
    c.principal.token_id = rows[0].Str(0);
    const std::string scope = rows[0].Str(2);
    if (scope == "metrics") {
      c.principal.metrics_only = true;
      c.principal.role = Role::kViewer;
    } else {
      absl::StatusOr<Role> role = ParseRole(scope);
      if (!role.ok()) return absl::UnauthenticatedError("token: bad scope");
      c.principal.role = static_cast<int>(*role) < static_cast<int>(c.principal.role) ? *role : c.principal.role;
    }
    if (!rows[0].Null(3)) {
      c.principal.token_cameras = absl::StrSplit(rows[0].Str(3), ',', absl::SkipEmpty());
    }
    c.loaded_us = now;
    c.expires_us = rows[0].Int(4);
    (void)conn_->Exec("UPDATE tokens SET last_used_us = ?1 WHERE id = ?2", {now, c.principal.token_id});
    if (cache_.size() > 100'000) cache_.clear();
    it = cache_.emplace(key, std::move(c)).first;
  }
  if (it->second.expires_us != 0 && now >= it->second.expires_us) {
    cache_.erase(it);
    return absl::UnauthenticatedError("token: expired");
  }
  return it->second.principal;
}

}  // namespace didban::auth
