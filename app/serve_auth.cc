#include "app/serve_auth.h"

#include <filesystem>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

#include "absl/strings/str_cat.h"

namespace didban::app {

std::string AuthDbPath(const std::string& data) { return (std::filesystem::path(data) / "auth.db").string(); }

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

absl::StatusOr<std::unique_ptr<auth::AuthStore>> OpenServeAuth(const std::string& mode, const std::string& data,
                                                               const std::string& address) {
  if (mode != "on" && mode != "off" && mode != "auto") {
    return absl::InvalidArgumentError(absl::StrCat("--auth: expected on, off or auto, got '", mode, "'"));
  }
  const bool loopback = IsLoopbackAddress(address);
  if (mode == "off") {
    if (!loopback) {
      return absl::InvalidArgumentError(absl::StrCat("--auth off: only on a loopback address (127.0.0.1, ::1), not ",
                                                     address, "; create users with `didban user add`"));
    }
    spdlog::warn("access control is off (--auth off): anyone who can reach {} may do anything", address);
    return std::unique_ptr<auth::AuthStore>();
  }
  const std::string path = AuthDbPath(data);
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  int64_t users = 0;
  std::unique_ptr<auth::AuthStore> store;
  if (exists || mode == "on") {
    DIDBAN_ASSIGN_OR_RETURN(store, auth::AuthStore::Open(path));
    DIDBAN_ASSIGN_OR_RETURN(users, store->UserCount());
  }
  if (users > 0) return store;
  const std::string how = absl::StrCat("create the first admin with `didban user add NAME --role admin --data ", data,
                                       "` (password on stdin)");
  if (mode == "on") return absl::FailedPreconditionError(absl::StrCat("--auth on: no users in ", path, "; ", how));
  if (!loopback) {
    return absl::FailedPreconditionError(absl::StrCat("no users in ", path, " and listening on ", address,
                                                      ", not a loopback address: ", how,
                                                      " (access control cannot be off beyond loopback)"));
  }
  spdlog::warn("access control is off: no users in {} (loopback only; {})", path, how);
  return std::unique_ptr<auth::AuthStore>();
}

}  // namespace didban::app
