// Login rate limiting: failed logins are counted per user name and per client address within a window; after too
// many, further attempts for that name (or from that address) are refused without checking the password until the
// lock-out ends. A success clears the user's count. In memory (a restart clears it), bounded (the oldest entries are
// dropped beyond max_entries). Thread-safe; time from an injected Clock.
#ifndef DIDBAN_AUTH_LOGIN_LIMITER_H_
#define DIDBAN_AUTH_LOGIN_LIMITER_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "didban/time.h"

namespace didban::auth {

struct LoginLimits {
  int max_user_failures = 5;                   // failures of one user name within the window, then locked
  int max_address_failures = 20;               // failures from one client address within the window
  TimeUs window_us = 15 * 60 * kUsPerSecond;   // failures older than this are forgotten
  TimeUs lockout_us = 15 * 60 * kUsPerSecond;  // how long a lock lasts
  size_t max_entries = 100'000;                // bound on tracked names and addresses
};

class LoginLimiter {
 public:
  LoginLimiter(LoginLimits limits, Clock* clock) : limits_(limits), clock_(clock) {}

  // Seconds until the user or the address may try again; 0 when allowed now.
  int64_t RetryAfterS(const std::string& user, const std::string& address);
  void Failed(const std::string& user, const std::string& address);
  void Succeeded(const std::string& user);

 private:
  struct Entry {
    int failures = 0;
    TimeUs first_us = 0;      // start of the current window
    TimeUs locked_until = 0;  // 0 when not locked
  };
  // Seconds of lock left on `e` at `now` (and resets an expired window).
  static int64_t LockLeftS(Entry& e, TimeUs now, TimeUs window_us);
  void Count(std::map<std::string, Entry>& m, const std::string& key, int max, TimeUs now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LoginLimits limits_;
  Clock* clock_;
  absl::Mutex mu_;
  std::map<std::string, Entry> users_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> addresses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban::auth

#endif  // DIDBAN_AUTH_LOGIN_LIMITER_H_
