// Errors are values: everything that can fail returns absl::Status / absl::StatusOr<T> with a message that names
// the camera, file, line or field. This header only gathers the names the project uses.
#ifndef DIDBAN_STATUS_H_
#define DIDBAN_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define DIDBAN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status didban_status_ = (expr);          \
    if (!didban_status_.ok()) return didban_status_; \
  } while (0)

#define DIDBAN_CONCAT_INNER_(a, b) a##b
#define DIDBAN_CONCAT_(a, b) DIDBAN_CONCAT_INNER_(a, b)
// Declares `lhs` from the value of an absl::StatusOr expression, or returns its status.
#define DIDBAN_ASSIGN_OR_RETURN(lhs, expr) \
  DIDBAN_ASSIGN_OR_RETURN_IMPL_(DIDBAN_CONCAT_(didban_sor_, __LINE__), lhs, expr)
#define DIDBAN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // DIDBAN_STATUS_H_
