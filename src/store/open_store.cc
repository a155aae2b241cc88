#include "store/store.h"

namespace didban::store {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  return absl::UnimplementedError(absl::StrCat("store: not built yet: ", url));
}

}  // namespace didban::store
