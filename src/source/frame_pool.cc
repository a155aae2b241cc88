#include "source/frame_pool.h"

#include <utility>

namespace didban::source {

std::shared_ptr<FramePool> FramePool::Create(size_t max_free) {
  return std::shared_ptr<FramePool>(new FramePool(max_free == 0 ? 1 : max_free));
}

cv::Mat FramePool::Acquire(int rows, int cols) {
  {
    absl::MutexLock lock(&mu_);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->rows == rows && it->cols == cols) {
        cv::Mat mat = std::move(*it);
        free_.erase(it);
        ++reuses_;
        return mat;
      }
    }
    ++allocations_;
  }
  return cv::Mat(rows, cols, CV_8UC3);
}

void FramePool::Release(cv::Mat&& mat) {
  cv::Mat taken = std::move(mat);  // leaves `mat` empty
  // Shared with someone else (a copied cv::Mat header still alive) or not a whole pool buffer: let it go.
  if (taken.empty() || taken.u == nullptr || taken.u->refcount != 1 || taken.type() != CV_8UC3 ||
      !taken.isContinuous()) {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (free_.size() >= max_free_) {
    // Keep the newest sizes: a source whose size changed should not be stuck with stale buffers.
    free_.erase(free_.begin());
  }
  free_.push_back(std::move(taken));
}

FramePtr FramePool::Wrap(std::unique_ptr<Frame> frame) {
  std::shared_ptr<FramePool> self = shared_from_this();
  return FramePtr(frame.release(), [self = std::move(self)](const Frame* f) {
    auto* owned = const_cast<Frame*>(f);
    // Drop the shared header first so a full buffer that `image` aliases ends with refcount 1.
    if (owned->image.data == owned->full.data) owned->image.release();
    self->Release(std::move(owned->image));
    self->Release(std::move(owned->full));
    delete owned;
  });
}

int64_t FramePool::Allocations() const {
  absl::MutexLock lock(&mu_);
  return allocations_;
}

int64_t FramePool::Reuses() const {
  absl::MutexLock lock(&mu_);
  return reuses_;
}

size_t FramePool::Idle() const {
  absl::MutexLock lock(&mu_);
  return free_.size();
}

}  // namespace didban::source
