#include "record/file_system.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

namespace didban::record {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path, int err) {
  std::string message = absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(message);
  if (err == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

class LocalFile final : public WritableFile {
 public:
  LocalFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~LocalFile() override { (void)Close(); }
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;

  absl::Status Write(const uint8_t* data, size_t size) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("file '", path_, "' is closed"));
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write", path_, errno);
      }
      data += n;
      size -= static_cast<size_t>(n);
      size_ += n;
    }
    return absl::OkStatus();
  }

  int64_t Size() const override { return size_; }

  absl::Status Truncate(int64_t size) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("file '", path_, "' is closed"));
    if (::ftruncate(fd_, size) != 0) return ErrnoError("truncate", path_, errno);
    if (::lseek(fd_, size, SEEK_SET) < 0) return ErrnoError("seek in", path_, errno);
    size_ = size;
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    int r = ::close(fd_);
    fd_ = -1;
    return r == 0 ? absl::OkStatus() : ErrnoError("close", path_, errno);
  }

 private:
  const std::string path_;
  int fd_;
  int64_t size_ = 0;
};

class LocalFs final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) override {
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create folder '", parent.string(), "': ", ec.message()));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("create", path, errno);
    return std::make_unique<LocalFile>(path, fd);
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoError(absl::StrCat("rename to '", to, "'"), from, errno);
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoError("remove", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> FreeBytes(const std::string& dir) override {
    struct statvfs s {};
    if (::statvfs(dir.c_str(), &s) != 0) return ErrnoError("query free space of", dir, errno);
    return static_cast<int64_t>(s.f_bavail) * static_cast<int64_t>(s.f_frsize);
  }
};

}  // namespace

FileSystem& LocalFileSystem() {
  static LocalFs* const kFs = new LocalFs();
  return *kFs;
}

}  // namespace didban::record
