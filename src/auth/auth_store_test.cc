// AuthStore and LoginLimiter against a real SQLite file in a temporary folder, with a fake clock and Argon2id at
// libsodium's minimum memory (the interactive limits cost ~100 ms per hash).
#include "auth/auth_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace didban::auth {
namespace {

constexpr char kPassword[] = "correct horse battery";

class AuthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/didban_auth_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_TRUE(Reopen().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static AuthOptions TestOptions() {
    AuthOptions o;
    o.pwhash_opslimit = 1;
    o.pwhash_memlimit_bytes = 8192;
    o.cache_us = 0;  // every check reads the database
    o.login.max_user_failures = 3;
    o.login.max_address_failures = 10;
    o.login.lockout_us = 60 * kUsPerSecond;
    return o;
  }
  absl::Status Reopen(AuthOptions o = TestOptions()) {
    store_.reset();
    auto s = AuthStore::Open(dir_ + "/auth.db", o, &clock_);
    if (!s.ok()) return s.status();
    store_ = std::move(*s);
    return absl::OkStatus();
  }
  std::string Query(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open((dir_ + "/auth.db").c_str(), &db);
    std::string out;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* o, int n, char** v, char**) {
          for (int i = 0; i < n; ++i) *static_cast<std::string*>(o) += std::string(v[i] ? v[i] : "NULL") + "|";
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }

  FakeClock clock_{1'700'000'000'000'000};
  std::string dir_;
  std::unique_ptr<AuthStore> store_;
};

TEST(IdentityTest, RolesGrantsAndVisibility) {
  EXPECT_EQ(*ParseRole("operator"), Role::kOperator);
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_EQ(GrantText(*ParseGrant("owner:city")), "owner:city");
  EXPECT_EQ(ParseGrant("*")->kind, "all");
  EXPECT_FALSE(ParseGrant("camera:../x").ok());
  EXPECT_FALSE(ParseGrant("zone:a").ok());
  EXPECT_FALSE(IsValidUserName("-x"));
  EXPECT_FALSE(IsValidUserName("a b"));
  EXPECT_TRUE(IsValidUserName("ali.r_2"));

  Principal p;
  p.grants = {{"camera", "north"}, {"owner", "city"}};
  EXPECT_TRUE(p.MaySee({"north", "", "s"}));
  EXPECT_TRUE(p.MaySee({"east", "city", "s"}));
  EXPECT_FALSE(p.MaySee({"south", "police", "s"}));
  EXPECT_FALSE(p.MaySee({"west", "", "s"}));  // no owner never matches an owner grant
  EXPECT_FALSE(p.AllCameras("s"));
  p.grants.push_back({"site", "s"});
  EXPECT_TRUE(p.MaySee({"south", "police", "s"}));
  EXPECT_TRUE(p.AllCameras("s"));
  EXPECT_FALSE(p.AllCameras("other"));
  Principal admin;
  admin.role = Role::kAdmin;
  EXPECT_TRUE(admin.MaySee({"any", "", "s"}));
  admin.token_cameras = std::vector<std::string>{"north"};  // a token narrows even an admin
  EXPECT_TRUE(admin.MaySee({"north", "", "s"}));
  EXPECT_FALSE(admin.MaySee({"south", "", "s"}));
  EXPECT_FALSE(admin.AllCameras("s"));
  EXPECT_EQ(admin.Actor(), "");
  admin.token_id = "t1";
  EXPECT_EQ(admin.Actor(), "token:t1");
}

TEST_F(AuthStoreTest, NoDefaultAccountAndWeakPasswordsRefused) {
  EXPECT_EQ(*store_->UserCount(), 0);
  EXPECT_EQ(store_->AddUser("ali", Role::kAdmin, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("ali", Role::kAdmin, "short").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("alialiali1", Role::kAdmin, "ALIALIALI1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("ali", Role::kAdmin, "aaaaaaaaaaaa").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("ali", Role::kAdmin, "Password123").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("../x", Role::kAdmin, kPassword).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddUser("ali", Role::kAdmin, kPassword, "de").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->UserCount(), 0);
  ASSERT_TRUE(store_->AddUser("ali", Role::kAdmin, kPassword, "fa").ok());
  EXPECT_EQ(store_->AddUser("ali", Role::kViewer, kPassword).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*store_->UserCount(), 1);
}

TEST_F(AuthStoreTest, PasswordsAreArgon2idHashes) {
  ASSERT_TRUE(store_->AddUser("ali", Role::kAdmin, kPassword).ok());
  const std::string stored = Query("SELECT password FROM users");
  EXPECT_EQ(stored.rfind("$argon2id$", 0), 0u) << stored;
  EXPECT_EQ(stored.find(kPassword), std::string::npos);
  // The interactive limits are the default (64 MiB, 2 passes) and land in the hash's parameters.
  AuthOptions real;
  real.login = TestOptions().login;
  ASSERT_TRUE(Reopen(real).ok());
  ASSERT_TRUE(store_->SetPassword("ali", "another good one").ok());
  EXPECT_NE(Query("SELECT password FROM users").find("$m=65536,t=2,"), std::string::npos);
  EXPECT_TRUE(store_->Login("ali", "another good one", "1.2.3.4").ok());
  EXPECT_EQ(store_->Login("ali", kPassword, "1.2.3.4").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthStoreTest, SessionsAreHashedAndExpireIdleAndAbsolute) {
  ASSERT_TRUE(store_->AddUser("vera", Role::kViewer, kPassword).ok());
  ASSERT_TRUE(store_->AddGrant("vera", {"camera", "north"}).ok());
  auto s = store_->Login("vera", kPassword, "10.0.0.5:4000");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->id.size(), 43u);  // 256 bits, base64url
  EXPECT_EQ(s->principal.csrf_token.size(), 43u);
  EXPECT_EQ(s->principal.role, Role::kViewer);
  ASSERT_EQ(s->principal.grants.size(), 1u);
  // Only the SHA-256 of the id is stored.
  const std::string rows = Query("SELECT hash, user FROM sessions");
  EXPECT_EQ(rows.find(s->id), std::string::npos);
  EXPECT_EQ(rows.size(), 64u + 1 + 4 + 1);

  auto p = store_->AuthenticateSession(s->id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "vera");
  EXPECT_EQ(p->csrf_token, s->principal.csrf_token);
  EXPECT_EQ(store_->AuthenticateSession(s->id + "x").status().code(), absl::StatusCode::kUnauthenticated);

  // Idle: used every 20 min, it lives; 31 min without use, it ends.
  for (int i = 0; i < 3; ++i) {
    clock_.AdvanceUs(20 * 60 * kUsPerSecond);
    ASSERT_TRUE(store_->AuthenticateSession(s->id).ok()) << i;
  }
  clock_.AdvanceUs(31 * 60 * kUsPerSecond);
  EXPECT_EQ(store_->AuthenticateSession(s->id).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM sessions"), "0|");

  // Absolute: 12 h after login, however busy.
  auto s2 = store_->Login("vera", kPassword, "10.0.0.5:4000");
  ASSERT_TRUE(s2.ok());
  for (int i = 0; i < 11 * 3; ++i) {
    clock_.AdvanceUs(20 * 60 * kUsPerSecond);
    ASSERT_TRUE(store_->AuthenticateSession(s2->id).ok()) << i;
  }
  clock_.AdvanceUs(29 * 60 * kUsPerSecond);  // 11 h 29 min: still alive
  ASSERT_TRUE(store_->AuthenticateSession(s2->id).ok());
  clock_.AdvanceUs(29 * 60 * kUsPerSecond);  // 11 h 58 min
  ASSERT_TRUE(store_->AuthenticateSession(s2->id).ok());
  clock_.AdvanceUs(3 * 60 * kUsPerSecond);  // 12 h 1 min
  EXPECT_EQ(store_->AuthenticateSession(s2->id).status().code(), absl::StatusCode::kUnauthenticated);

  // Logout, a password change and disabling end sessions.
  auto s3 = store_->Login("vera", kPassword, "a");
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE(store_->Logout(s3->id).ok());
  EXPECT_FALSE(store_->AuthenticateSession(s3->id).ok());
  auto s4 = store_->Login("vera", kPassword, "a");
  ASSERT_TRUE(store_->SetPassword("vera", "a new password here").ok());
  EXPECT_FALSE(store_->AuthenticateSession(s4->id).ok());
  auto s5 = store_->Login("vera", "a new password here", "a");
  ASSERT_TRUE(s5.ok());
  ASSERT_TRUE(store_->UpdateUser("vera", std::nullopt, "fa", true).ok());
  EXPECT_FALSE(store_->AuthenticateSession(s5->id).ok());
  EXPECT_EQ(store_->Login("vera", "a new password here", "a").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthStoreTest, SessionsSurviveReopen) {
  ASSERT_TRUE(store_->AddUser("ali", Role::kOperator, kPassword).ok());
  auto s = store_->Login("ali", kPassword, "a");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(Reopen().ok());
  auto p = store_->AuthenticateSession(s->id);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->role, Role::kOperator);
}

TEST_F(AuthStoreTest, TokensAreHashedScopedRevocableAndExpire) {
  ASSERT_TRUE(store_->AddUser("op", Role::kOperator, kPassword).ok());
  ASSERT_TRUE(store_->AddGrant("op", {"all", ""}).ok());
  EXPECT_EQ(store_->CreateToken("op", "too much", "admin", std::nullopt, 0).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->CreateToken("nobody", "x", "viewer", std::nullopt, 0).status().code(), absl::StatusCode::kNotFound);
  auto t = store_->CreateToken("op", "script", "viewer", std::vector<std::string>{"north"}, 3600 * kUsPerSecond);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->secret.rfind("dbt_", 0), 0u);
  EXPECT_EQ(t->secret.size(), 47u);
  EXPECT_EQ(Query("SELECT hash FROM tokens").find(t->secret), std::string::npos);

  auto p = store_->AuthenticateToken(t->secret);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "op");
  EXPECT_EQ(p->role, Role::kViewer);  // the token's scope, below the user's role
  EXPECT_EQ(p->token_id, t->info.id);
  EXPECT_TRUE(p->MaySee({"north", "", "s"}));
  EXPECT_FALSE(p->MaySee({"south", "", "s"}));  // the user may, the token may not
  EXPECT_FALSE(store_->AuthenticateToken(t->secret + "x").ok());
  EXPECT_FALSE(store_->AuthenticateToken("").ok());

  // Expiry.
  clock_.AdvanceUs(3600 * kUsPerSecond);
  EXPECT_EQ(store_->AuthenticateToken(t->secret).status().message(), "token: expired");

  // Revocation, seen at once even with a cache.
  AuthOptions cached = TestOptions();
  cached.cache_us = 60 * kUsPerSecond;
  ASSERT_TRUE(Reopen(cached).ok());
  auto m = store_->CreateToken("op", "prometheus", "metrics", std::nullopt, 0);
  ASSERT_TRUE(m.ok());
  auto mp = store_->AuthenticateToken(m->secret);
  ASSERT_TRUE(mp.ok());
  EXPECT_TRUE(mp->metrics_only);
  ASSERT_TRUE(store_->RevokeToken(m->info.id).ok());
  EXPECT_EQ(store_->AuthenticateToken(m->secret).status().message(), "token: revoked");
  EXPECT_EQ(store_->RevokeToken("t0000").code(), absl::StatusCode::kNotFound);
  auto list = store_->ListTokens("op");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_NE((*list)[1].revoked_us, 0);
  ASSERT_TRUE((*list)[0].cameras.has_value());
  EXPECT_EQ((*list)[0].cameras->at(0), "north");
  // Removing the user removes their tokens.
  auto t2 = store_->CreateToken("op", "x", "operator", std::nullopt, 0);
  ASSERT_TRUE(store_->RemoveUser("op").ok());
  EXPECT_FALSE(store_->AuthenticateToken(t2->secret).ok());
  EXPECT_TRUE(store_->ListTokens()->empty());
}

TEST_F(AuthStoreTest, BruteForceLocksTheUserAndTheAddress) {
  ASSERT_TRUE(store_->AddUser("ali", Role::kAdmin, kPassword).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(store_->Login("ali", "wrong password!", "6.6.6.6").status().code(), absl::StatusCode::kUnauthenticated);
  }
  // Locked: even the right password is refused, without a hash check.
  auto locked = store_->Login("ali", kPassword, "1.1.1.1");
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(locked.status().message(), "login: too many failed attempts; retry after 60 s");
  clock_.AdvanceUs(59 * kUsPerSecond);
  EXPECT_EQ(store_->LoginRetryAfterS("ali", "1.1.1.1"), 1);
  clock_.AdvanceUs(kUsPerSecond);
  EXPECT_TRUE(store_->Login("ali", kPassword, "1.1.1.1").ok());

  // Unknown names count per address: spraying names from one address locks the address.
  for (int i = 0; i < 10; ++i) (void)store_->Login("user" + std::to_string(i), "x", "6.6.6.6");
  EXPECT_EQ(store_->Login("ali", kPassword, "6.6.6.6").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store_->Login("ali", kPassword, "7.7.7.7").ok());
  EXPECT_EQ(store_->Login("ghost", kPassword, "7.7.7.7").status().message(), "login: wrong user name or password");
}

TEST(LoginLimiterTest, WindowForgetsOldFailures) {
  FakeClock clock(0);
  LoginLimits l;
  l.max_user_failures = 2;
  l.window_us = 10 * kUsPerSecond;
  l.lockout_us = 5 * kUsPerSecond;
  LoginLimiter limiter(l, &clock);
  limiter.Failed("a", "x");
  clock.AdvanceUs(11 * kUsPerSecond);
  limiter.Failed("a", "x");  // the first one is out of the window
  EXPECT_EQ(limiter.RetryAfterS("a", "y"), 0);
  limiter.Failed("a", "x");
  EXPECT_EQ(limiter.RetryAfterS("a", "y"), 5);
  limiter.Succeeded("a");
  EXPECT_EQ(limiter.RetryAfterS("a", "y"), 0);
}

TEST_F(AuthStoreTest, GrantsAndUsers) {
  ASSERT_TRUE(store_->AddUser("ali", Role::kViewer, kPassword).ok());
  ASSERT_TRUE(store_->AddGrant("ali", {"owner", "city"}).ok());
  ASSERT_TRUE(store_->AddGrant("ali", {"owner", "city"}).ok());  // idempotent
  ASSERT_TRUE(store_->AddGrant("ali", {"camera", "north"}).ok());
  EXPECT_EQ(store_->AddGrant("bob", {"camera", "north"}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->AddGrant("ali", {"camera", "a b"}).code(), absl::StatusCode::kInvalidArgument);
  auto u = store_->GetUser("ali");
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->grants.size(), 2u);
  EXPECT_EQ(GrantText(u->grants[0]), "camera:north");
  EXPECT_EQ(GrantText(u->grants[1]), "owner:city");
  ASSERT_TRUE(store_->RemoveGrant("ali", {"owner", "city"}).ok());
  EXPECT_EQ(store_->RemoveGrant("ali", {"owner", "city"}).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->UpdateUser("ali", Role::kOperator, "fa", std::nullopt).ok());
  u = store_->GetUser("ali");
  EXPECT_EQ(u->role, Role::kOperator);
  EXPECT_EQ(u->language, "fa");
  EXPECT_EQ(store_->ListUsers()->size(), 1u);
  ASSERT_TRUE(store_->RemoveUser("ali").ok());
  EXPECT_EQ(store_->RemoveUser("ali").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM grants"), "0|");
}

}  // namespace
}  // namespace didban::auth
