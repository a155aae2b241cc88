// Reading a component's parameters (a JSON object, converted from YAML by config/ or built from flags) into its
// typed options, with errors that name the field.
#ifndef DIDBAN_CORE_PARAMS_H_
#define DIDBAN_CORE_PARAMS_H_

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban {

// If `params` has `key`, converts it into *out; a value of the wrong type is an InvalidArgument naming `where.key`.
// A missing key leaves *out (its default) untouched.
template <typename T>
absl::Status ReadParam(const nlohmann::json& params, const std::string& key, T* out, const std::string& where = "") {
  if (!params.is_object()) {
    if (params.is_null()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(where.empty() ? "parameters" : where, ": expected a mapping"));
  }
  auto it = params.find(key);
  if (it == params.end() || it->is_null()) return absl::OkStatus();
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    // nlohmann's get<T>() casts without a range check (undefined behaviour for 1e300 into an int): check first.
    if (it->is_number()) {
      const double v = it->get<double>();
      const double max = static_cast<double>(std::numeric_limits<T>::max());
      const bool fits = std::is_integral_v<T>
                            ? v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v < max + 1.0
                            : !(std::abs(v) > max);
      if (!fits) {
        return absl::OutOfRangeError(absl::StrCat(where.empty() ? "" : where + ".", key, ": ", it->dump(),
                                                  " is out of range [", std::numeric_limits<T>::lowest(), ", ",
                                                  std::numeric_limits<T>::max(), "]"));
      }
    }
  }
  try {
    *out = it->get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(where.empty() ? "" : where + ".", key, ": wrong type (", it->type_name(), "): ", e.what()));
  }
  return absl::OkStatus();
}

// InvalidArgument naming every key of `params` not in `known` (catches typos in configs).
absl::Status CheckKnownParams(const nlohmann::json& params, std::initializer_list<const char*> known,
                              const std::string& where);

// The end of an options FromJson: `options` when its Validate() passes, else that error prefixed with `where`.
template <typename T>
absl::StatusOr<T> Validated(T options, const std::string& where) {
  if (absl::Status st = options.Validate(); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", st.message()));
  }
  return options;
}

}  // namespace didban

#endif  // DIDBAN_CORE_PARAMS_H_
