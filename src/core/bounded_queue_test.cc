#include "core/bounded_queue.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace didban {
namespace {

TEST(BoundedQueueTest, DropOldestKeepsNewestAndCountsDrops) {
  BoundedQueue<int> q(2, OverflowPolicy::kDropOldest);
  EXPECT_TRUE(q.Push(1));
  EXPECT_TRUE(q.Push(2));
  EXPECT_TRUE(q.Push(3));
  EXPECT_EQ(q.Depth(), 2u);
  EXPECT_EQ(q.Dropped(), 1);
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), 3);
}

TEST(BoundedQueueTest, DropNewestRejectsWhenFull) {
  BoundedQueue<int> q(1, OverflowPolicy::kDropNewest);
  EXPECT_TRUE(q.Push(1));
  EXPECT_FALSE(q.Push(2));
  EXPECT_EQ(q.Dropped(), 1);
  EXPECT_EQ(q.Pop(), 1);
}

TEST(BoundedQueueTest, BlockDeliversEverythingInOrder) {
  BoundedQueue<int> q(3, OverflowPolicy::kBlock);
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) q.Push(i);
    q.Close();
  });
  std::vector<int> got;
  while (auto v = q.Pop()) got.push_back(*v);
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
  EXPECT_EQ(q.Dropped(), 0);
}

TEST(BoundedQueueTest, CloseWakesConsumerAndRejectsPush) {
  BoundedQueue<int> q(1, OverflowPolicy::kBlock);
  std::thread consumer([&] { EXPECT_EQ(q.Pop(), std::nullopt); });
  q.Close();
  consumer.join();
  EXPECT_FALSE(q.Push(5));
}

}  // namespace
}  // namespace didban
