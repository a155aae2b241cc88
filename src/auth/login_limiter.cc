#include "auth/login_limiter.h"

#include <algorithm>

namespace didban::auth {

int64_t LoginLimiter::LockLeftS(Entry& e, TimeUs now, TimeUs window_us) {
  if (e.locked_until > now) return (e.locked_until - now + kUsPerSecond - 1) / kUsPerSecond;
  if (e.locked_until != 0 || now - e.first_us > window_us) e = Entry{};
  return 0;
}

int64_t LoginLimiter::RetryAfterS(const std::string& user, const std::string& address) {
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  int64_t left = 0;
  if (auto it = users_.find(user); it != users_.end()) left = LockLeftS(it->second, now, limits_.window_us);
  if (auto it = addresses_.find(address); it != addresses_.end()) {
    left = std::max(left, LockLeftS(it->second, now, limits_.window_us));
  }
  return left;
}

void LoginLimiter::Count(std::map<std::string, Entry>& m, const std::string& key, int max, TimeUs now) {
  if (m.size() >= limits_.max_entries && !m.count(key)) {
    // Drop the entry whose window started first (bounded memory under a spray of names).
    auto oldest = std::min_element(m.begin(), m.end(),
                                   [](const auto& a, const auto& b) { return a.second.first_us < b.second.first_us; });
    m.erase(oldest);
  }
  Entry& e = m[key];
  LockLeftS(e, now, limits_.window_us);
  if (e.failures == 0) e.first_us = now;
  if (++e.failures >= max) e.locked_until = now + limits_.lockout_us;
}

void LoginLimiter::Failed(const std::string& user, const std::string& address) {
  const TimeUs now = clock_->NowUs();
  absl::MutexLock lock(&mu_);
  Count(users_, user, limits_.max_user_failures, now);
  Count(addresses_, address, limits_.max_address_failures, now);
}

void LoginLimiter::Succeeded(const std::string& user) {
  absl::MutexLock lock(&mu_);
  users_.erase(user);
}

}  // namespace didban::auth
