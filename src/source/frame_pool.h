// A bounded pool of decoded image buffers, recycled when the last reference to a frame is released.
#ifndef DIDBAN_SOURCE_FRAME_POOL_H_
#define DIDBAN_SOURCE_FRAME_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "didban/frame.h"

namespace didban::source {

// Hands out 8-bit BGR cv::Mat buffers and takes them back. Keeps at most `max_free` idle buffers; a buffer returned
// while the pool is full is freed. Frames made by Wrap() hold a shared_ptr to the pool, so the pool outlives them.
// Thread-safe (frames are released on any thread).
class FramePool : public std::enable_shared_from_this<FramePool> {
 public:
  static std::shared_ptr<FramePool> Create(size_t max_free);

  // A rows x cols CV_8UC3 buffer: an idle one of that size if any, else a new allocation. Contents are undefined.
  cv::Mat Acquire(int rows, int cols);
  // Gives a buffer back. It is kept only if nobody else references its data (refcount 1) and there is room.
  void Release(cv::Mat&& mat);
  // Publishes `frame` as a shared immutable frame whose deleter returns its buffers here.
  FramePtr Wrap(std::unique_ptr<Frame> frame);

  int64_t Allocations() const;  // buffers allocated since creation
  int64_t Reuses() const;       // Acquire() calls served from idle buffers
  size_t Idle() const;          // idle buffers now
  size_t MaxFree() const { return max_free_; }

 private:
  explicit FramePool(size_t max_free) : max_free_(max_free) {}

  const size_t max_free_;
  mutable absl::Mutex mu_;
  std::vector<cv::Mat> free_ ABSL_GUARDED_BY(mu_);
  int64_t allocations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reuses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_FRAME_POOL_H_
