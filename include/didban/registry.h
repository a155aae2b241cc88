// Pluggable by name: sources, detectors and rules are registered under a name and chosen in the site config.
#ifndef DIDBAN_REGISTRY_H_
#define DIDBAN_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban {

// Maps names to factories of T. A factory takes the component's parameters as a JSON object (converted from YAML
// by config/ or built from command-line flags) and parses them into its typed options, naming any bad field.
// Thread-safe.
template <typename T>
class Registry {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<T>>(const nlohmann::json& params)>;

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void Register(const std::string& name, Factory factory) {
    std::lock_guard<std::mutex> lock(mu_);
    factories_[name] = std::move(factory);
  }

  absl::StatusOr<std::unique_ptr<T>> Create(const std::string& name, const nlohmann::json& params) const {
    Factory f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = factories_.find(name);
      if (it == factories_.end()) {
        std::string known;
        for (const auto& [n, _] : factories_) absl::StrAppend(&known, known.empty() ? "" : ", ", n);
        return absl::NotFoundError(absl::StrCat("unknown ", kind_, " '", name, "' (known: ", known, ")"));
      }
      f = it->second;
    }
    return f(params);
  }

  std::vector<std::string> Names() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [n, _] : factories_) out.push_back(n);
    return out;
  }

 private:
  std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, Factory> factories_;
};

}  // namespace didban

#endif  // DIDBAN_REGISTRY_H_
