#include "core/params.h"

#include <cstring>

namespace didban {

absl::Status CheckKnownParams(const nlohmann::json& params, std::initializer_list<const char*> known,
                              const std::string& where) {
  if (!params.is_object()) return absl::OkStatus();
  for (auto it = params.begin(); it != params.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) absl::StrAppend(&list, list.empty() ? "" : ", ", k);
      return absl::InvalidArgumentError(
          absl::StrCat(where.empty() ? "" : where + ": ", "unknown parameter '", it.key(), "' (known: ", list, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace didban
