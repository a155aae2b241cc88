#include "source/frame_pool.h"

#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace didban::source {
namespace {

FramePtr MakeFrame(FramePool& pool, int rows, int cols, bool scaled) {
  auto f = std::make_unique<Frame>();
  f->full = pool.Acquire(rows, cols);
  f->image = scaled ? pool.Acquire(rows / 2, cols / 2) : f->full;
  return pool.Wrap(std::move(f));
}

TEST(FramePoolTest, ReusesReleasedBuffersOfTheSameSize) {
  auto pool = FramePool::Create(4);
  const uchar* first_data = nullptr;
  {
    FramePtr f = MakeFrame(*pool, 48, 64, /*scaled=*/false);
    first_data = f->full.data;
  }
  EXPECT_EQ(pool->Allocations(), 1);
  EXPECT_EQ(pool->Idle(), 1u);
  FramePtr g = MakeFrame(*pool, 48, 64, false);
  EXPECT_EQ(g->full.data, first_data);
  EXPECT_EQ(pool->Allocations(), 1);
  EXPECT_EQ(pool->Reuses(), 1);
  FramePtr other_size = MakeFrame(*pool, 24, 32, false);
  EXPECT_EQ(pool->Allocations(), 2);
}

TEST(FramePoolTest, KeepsAtMostMaxFreeBuffers) {
  auto pool = FramePool::Create(3);
  std::vector<FramePtr> frames;
  frames.reserve(10);
  for (int i = 0; i < 10; ++i) frames.push_back(MakeFrame(*pool, 8, 8, false));
  EXPECT_EQ(pool->Allocations(), 10);
  frames.clear();
  EXPECT_EQ(pool->Idle(), 3u);
}

TEST(FramePoolTest, DoesNotRecycleABufferStillReferencedElsewhere) {
  auto pool = FramePool::Create(4);
  FramePtr f = MakeFrame(*pool, 48, 64, true);
  cv::Mat kept = f->image;  // a consumer keeps a header on the analysis image
  kept.setTo(cv::Scalar(1, 2, 3));
  f.reset();
  EXPECT_EQ(pool->Idle(), 1u);  // only the full buffer came back
  FramePtr g = MakeFrame(*pool, 48, 64, true);
  EXPECT_NE(g->image.data, kept.data);
  EXPECT_EQ(kept.at<cv::Vec3b>(5, 5), cv::Vec3b(1, 2, 3));
}

TEST(FramePoolTest, FramesKeepThePoolAliveAndMayBeReleasedOnAnyThread) {
  std::vector<FramePtr> frames;
  {
    auto pool = FramePool::Create(8);
    for (int i = 0; i < 16; ++i) frames.push_back(MakeFrame(*pool, 16, 16, i % 2 == 0));
  }  // the creator's reference is gone; frames still hold the pool
  std::thread a([&frames] {
    for (size_t i = 0; i < frames.size(); i += 2) frames[i].reset();
  });
  std::thread b([&frames] {
    for (size_t i = 1; i < frames.size(); i += 2) frames[i].reset();
  });
  a.join();
  b.join();
  for (const FramePtr& f : frames) EXPECT_EQ(f, nullptr);
}

}  // namespace
}  // namespace didban::source
