// The auth database (SQLite, `<data>/auth.db` by default): users with Argon2id password hashes (libsodium
// crypto_pwhash_str), their camera grants, login sessions and API tokens. Session ids and token secrets are 256-bit
// random values (randombytes_buf) handed to the client once; only their SHA-256 is stored. Sessions end after an idle
// time and an absolute time; tokens after their expiry or when revoked. Logins pass a LoginLimiter (per user and per
// client address). There is no default account.
// Authenticating a session or token costs one SHA-256 and, at most every `cache_us`, one database read: the result
// is kept in memory that long, so a change made by another process (`didban user`) takes effect within `cache_us`;
// changes made through this object take effect at once.
// Thread-safe: one connection behind a mutex; password hashing runs outside it.
#ifndef DIDBAN_AUTH_AUTH_STORE_H_
#define DIDBAN_AUTH_AUTH_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "auth/identity.h"
#include "auth/login_limiter.h"
#include "didban/status.h"
#include "didban/time.h"
#include "store/sql.h"

namespace didban::auth {

struct AuthOptions {
  // Argon2id cost (crypto_pwhash_str). The defaults are libsodium's INTERACTIVE limits (2 passes, 64 MiB); tests
  // lower the memory (never below 8 KiB). Stored hashes carry their own parameters.
  uint64_t pwhash_opslimit = 2;
  size_t pwhash_memlimit_bytes = size_t{64} << 20;
  size_t min_password_length = 10;                   // characters (bytes)
  TimeUs session_idle_us = 30 * 60 * kUsPerSecond;   // a session unused this long ends
  TimeUs session_max_us = 12 * 3600 * kUsPerSecond;  // a session ends this long after login, used or not
  TimeUs session_touch_us = 60 * kUsPerSecond;       // last use is written to the database at most this often
  TimeUs cache_us = 5 * kUsPerSecond;                // how long an authenticated session/token is trusted in memory
  TimeUs max_token_ttl_us = 366LL * 24 * 3600 * kUsPerSecond;  // longest token lifetime
  LoginLimits login;

  absl::Status Validate() const;
};

// A token's description (never its secret).
struct TokenInfo {
  std::string id;     // public id, "t" + 16 hex digits
  std::string user;   // the user it acts for
  std::string name;   // what it is for ("prometheus")
  std::string scope;  // "viewer", "operator", "admin" (capped by the user's role) or "metrics" (/metrics only)
  std::optional<std::vector<std::string>> cameras;  // when set, only these cameras (and the user's grants)
  TimeUs created_us = 0;
  TimeUs expires_us = 0;  // 0: never
  TimeUs revoked_us = 0;  // 0: not revoked
  TimeUs last_used_us = 0;
};

struct NewToken {
  std::string secret;  // "dbt_" + 43 base64url characters; shown once
  TokenInfo info;
};

struct NewSession {
  std::string id;  // the cookie value; shown once
  Principal principal;
};

class AuthStore {
 public:
  // Opens or creates the database; `clock` (nullptr: the system clock) must outlive the store.
  static absl::StatusOr<std::unique_ptr<AuthStore>> Open(const std::string& path, AuthOptions options = {},
                                                         Clock* clock = nullptr);
  ~AuthStore();

  // Password rules: at least min_password_length bytes, not the user name, not one repeated character, not a
  // well-known password.
  absl::Status CheckPassword(const std::string& user, const std::string& password) const;

  // --- users and grants (AlreadyExists / NotFound / InvalidArgument naming the field) ---
  absl::Status AddUser(const std::string& name, Role role, const std::string& password,
                       const std::string& language = "en");
  // Removes the user with their grants, sessions and tokens.
  absl::Status RemoveUser(const std::string& name);
  // Changes the password and ends the user's sessions.
  absl::Status SetPassword(const std::string& name, const std::string& password);
  // Changes what is given; disabling ends the user's sessions.
  absl::Status UpdateUser(const std::string& name, std::optional<Role> role, std::optional<std::string> language,
                          std::optional<bool> disabled);
  absl::StatusOr<User> GetUser(const std::string& name);
  absl::StatusOr<std::vector<User>> ListUsers();
  absl::StatusOr<int64_t> UserCount();
  absl::Status AddGrant(const std::string& user, const Grant& grant);
  absl::Status RemoveGrant(const std::string& user, const Grant& grant);

  // --- sessions ---
  // Checks the password (Argon2id) after the limiter: ResourceExhausted "retry after N s" while locked out,
  // Unauthenticated for a wrong name or password or a disabled user (one message for all three).
  absl::StatusOr<NewSession> Login(const std::string& user, const std::string& password, const std::string& address);
  // Seconds until `user` or `address` may try again (0: now).
  int64_t LoginRetryAfterS(const std::string& user, const std::string& address);
  // The session's principal; Unauthenticated when unknown, expired (idle or absolute) or its user is disabled.
  absl::StatusOr<Principal> AuthenticateSession(const std::string& session_id);
  absl::Status Logout(const std::string& session_id);

  // --- API tokens ---
  // `scope` is a role name (at most the user's role) or "metrics"; `ttl_us` 0 = max_token_ttl_us.
  absl::StatusOr<NewToken> CreateToken(const std::string& user, const std::string& name, const std::string& scope,
                                       std::optional<std::vector<std::string>> cameras, TimeUs ttl_us);
  absl::StatusOr<std::vector<TokenInfo>> ListTokens(const std::string& user = "");
  absl::Status RevokeToken(const std::string& id);
  // Unauthenticated when unknown, expired, revoked or its user is gone or disabled.
  absl::StatusOr<Principal> AuthenticateToken(const std::string& secret);

  Clock& clock() { return *clock_; }
  const AuthOptions& options() const { return options_; }

 private:
  AuthStore(std::unique_ptr<store::Connection> conn, AuthOptions options, Clock* clock);
  absl::StatusOr<std::string> HashPassword(const std::string& password) const;
  absl::StatusOr<Principal> LoadPrincipal(const std::string& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status EndSessionsOf(const std::string& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetCached(const std::string& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Cached {
    Principal principal;
    TimeUs loaded_us = 0;     // when read from the database
    TimeUs created_us = 0;    // sessions: login time
    TimeUs last_seen_us = 0;  // sessions: last use
    TimeUs written_us = 0;    // sessions: last use as written to the database
    TimeUs expires_us = 0;    // tokens: 0 never
  };

  const AuthOptions options_;
  Clock* clock_;
  LoginLimiter limiter_;
  std::string dummy_hash_;  // verified for unknown users, so their timing matches real ones
  absl::Mutex mu_;
  std::unique_ptr<store::Connection> conn_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);  // by SHA-256 hex of the session id / token secret
};

}  // namespace didban::auth

#endif  // DIDBAN_AUTH_AUTH_STORE_H_
