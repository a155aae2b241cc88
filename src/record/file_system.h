// The file operations of the recorder behind one small interface, so that tests can inject faults (a full disk)
// where mounting a small filesystem is not possible, and so that recording code never calls POSIX directly.
#ifndef DIDBAN_RECORD_FILE_SYSTEM_H_
#define DIDBAN_RECORD_FILE_SYSTEM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "didban/status.h"

namespace didban::record {

// A destination of bytes (a file, a memory buffer). Thread-compatible.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `size` bytes; a full disk is ResourceExhausted.
  virtual absl::Status Write(const uint8_t* data, size_t size) = 0;
};

// A file opened for appending. Thread-compatible.
class WritableFile : public ByteSink {
 public:
  // Bytes written so far (the file's size).
  virtual int64_t Size() const = 0;
  // Cuts the file back to `size` bytes (to drop a partly written tail).
  virtual absl::Status Truncate(int64_t size) = 0;
  // Closes the file; idempotent. Writes after Close() fail.
  virtual absl::Status Close() = 0;
};

// The file operations the recorder uses. Implementations are thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Creates (or truncates) `path` for writing; missing parent folders are created.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual absl::Status Remove(const std::string& path) = 0;
  // Bytes free for an unprivileged writer on the filesystem holding `dir`.
  virtual absl::StatusOr<int64_t> FreeBytes(const std::string& dir) = 0;
};

// The real filesystem (POSIX open/write/ftruncate/rename/statvfs). Errors name the path and errno's text; ENOSPC and
// EDQUOT are ResourceExhausted.
FileSystem& LocalFileSystem();

}  // namespace didban::record

#endif  // DIDBAN_RECORD_FILE_SYSTEM_H_
