#include "bus/hub.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace didban::bus {
namespace {

Event MakeEvent(const std::string& camera, int64_t track) {
  Event e;
  e.camera = camera;
  e.type = "line_cross";
  e.track_id = track;
  return e;
}

SubscriberOptions Options(const std::string& name, size_t capacity, SlowPolicy policy = SlowPolicy::kCutOff) {
  SubscriberOptions o;
  o.name = name;
  o.capacity = capacity;
  o.on_full = policy;
  return o;
}

TEST(HubTest, DeliversEveryTopicInPublishOrder) {
  Hub hub;
  auto sub = hub.Subscribe(Options("a", 16));
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(hub.Publish(MakeEvent("cam1", 7)), 1u);
  CameraTracks t;
  t.camera = "cam1";
  t.pts_us = 40'000;
  t.tracks.push_back({});
  EXPECT_EQ(hub.Publish(t), 2u);
  CameraState s;
  s.camera = "cam2";
  s.health = CameraHealth::kOffline;
  EXPECT_EQ(hub.Publish(s), 3u);
  GroupTracks g;
  g.group = "g1";
  g.step.time = 5;
  EXPECT_EQ(hub.Publish(g), 4u);

  std::vector<Message> got;
  EXPECT_EQ((*sub)->Drain(&got), 4u);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].topic, Topic::kEvent);
  EXPECT_EQ(got[0].seq, 1u);
  ASSERT_NE(got[0].event(), nullptr);
  EXPECT_EQ(got[0].event()->track_id, 7);
  EXPECT_EQ(got[0].tracks(), nullptr);
  EXPECT_EQ(got[1].tracks()->pts_us, 40'000);
  EXPECT_EQ(got[1].tracks()->tracks.size(), 1u);
  EXPECT_EQ(got[2].camera, "cam2");
  EXPECT_EQ(got[2].state()->health, CameraHealth::kOffline);
  EXPECT_EQ(got[3].camera, "g1");
  EXPECT_EQ(got[3].fused()->step.time, 5);
  EXPECT_EQ(MessageToJson(got[2])["data"]["health"], "offline");
  EXPECT_EQ(MessageToJson(got[0])["topic"], "event");

  HubStats st = hub.Stats();
  EXPECT_EQ(st.published_total, 4);
  EXPECT_EQ(st.published[0], 1);
  EXPECT_EQ(st.published[3], 1);
  EXPECT_EQ(st.delivered_total, 4);
  EXPECT_EQ(st.dropped_total, 0);
  EXPECT_EQ(st.subscribers, 1);
}

TEST(HubTest, FiltersByTopicAndCamera) {
  Hub hub;
  SubscriberOptions o = Options("events of cam2", 16);
  o.topics = TopicBit(Topic::kEvent);
  o.cameras = {"cam2"};
  auto sub = hub.Subscribe(o);
  ASSERT_TRUE(sub.ok());
  hub.Publish(MakeEvent("cam1", 1));
  hub.Publish(MakeEvent("cam2", 2));
  CameraTracks t;
  t.camera = "cam2";
  hub.Publish(t);
  std::vector<Message> got;
  EXPECT_EQ((*sub)->Drain(&got), 1u);
  EXPECT_EQ(got[0].event()->track_id, 2);
  EXPECT_EQ(got[0].seq, 2u);
  EXPECT_EQ(hub.Stats().delivered_total, 1);
}

TEST(HubTest, SlowSubscriberIsCutOffAndCountedWhileOthersKeepReceiving) {
  Hub hub;
  auto slow = hub.Subscribe(Options("slow", 3));
  auto fast = hub.Subscribe(Options("fast", 100));
  ASSERT_TRUE(slow.ok() && fast.ok());
  int ready_calls = 0;
  SubscriberOptions counted = Options("counted", 100);
  counted.on_ready = [&ready_calls] { ++ready_calls; };
  auto cb = hub.Subscribe(counted);
  ASSERT_TRUE(cb.ok());
  for (int i = 1; i <= 10; ++i) hub.Publish(MakeEvent("cam", i));

  EXPECT_TRUE((*slow)->CutOff());
  EXPECT_TRUE((*slow)->Closed());
  SubscriberStats s = (*slow)->Stats();
  EXPECT_EQ(s.delivered, 3);
  EXPECT_EQ(s.dropped, 1);  // the fourth message cut it off; later ones never reached it
  // What was queued before the cut can still be read, in order.
  std::vector<Message> got;
  EXPECT_EQ((*slow)->Drain(&got), 3u);
  EXPECT_EQ(got[2].event()->track_id, 3);
  EXPECT_EQ((*slow)->TryPop(), std::nullopt);
  EXPECT_EQ((*slow)->Pop(), std::nullopt);  // closed and drained: does not block

  EXPECT_FALSE((*fast)->CutOff());
  EXPECT_EQ((*fast)->Stats().delivered, 10);
  EXPECT_EQ(ready_calls, 10);

  HubStats st = hub.Stats();
  EXPECT_EQ(st.published_total, 10);
  EXPECT_EQ(st.cut_off_total, 1);
  EXPECT_EQ(st.dropped_total, 1);
  EXPECT_EQ(st.delivered_total, 3 + 10 + 10);
  EXPECT_EQ(st.subscribers, 2);
  ASSERT_EQ(hub.Subscribers().size(), 2u);
  EXPECT_EQ(hub.Subscribers()[0].name, "fast");
}

TEST(HubTest, DropOldestKeepsTheNewestMessages) {
  Hub hub;
  auto sub = hub.Subscribe(Options("viewer", 4, SlowPolicy::kDropOldest));
  ASSERT_TRUE(sub.ok());
  for (int i = 1; i <= 10; ++i) hub.Publish(MakeEvent("cam", i));
  EXPECT_FALSE((*sub)->Closed());
  SubscriberStats s = (*sub)->Stats();
  EXPECT_EQ(s.delivered, 10);
  EXPECT_EQ(s.dropped, 6);
  EXPECT_EQ(s.depth, 4u);
  std::vector<Message> got;
  (*sub)->Drain(&got);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front().event()->track_id, 7);
  EXPECT_EQ(got.back().event()->track_id, 10);
  EXPECT_EQ(hub.Stats().dropped_total, 6);
  EXPECT_EQ(hub.Stats().cut_off_total, 0);
}

TEST(HubTest, RejectsBadOptionsNamingTheField) {
  Hub hub;
  SubscriberOptions o = Options("x", 0);
  EXPECT_EQ(hub.Subscribe(o).status().message(), "subscriber x: capacity must be >= 1");
  o.capacity = 1;
  o.topics = 0;
  EXPECT_EQ(hub.Subscribe(o).status().message(), "subscriber x: topics must be a non-empty OR of topic bits (got 0)");
  EXPECT_EQ(hub.Stats().subscribers, 0);
}

TEST(HubTest, UnsubscribeAndCloseEndTheQueues) {
  auto hub = std::make_unique<Hub>();
  auto a = hub->Subscribe(Options("a", 8));
  auto b = hub->Subscribe(Options("b", 8));
  ASSERT_TRUE(a.ok() && b.ok());
  hub->Publish(MakeEvent("cam", 1));
  (*a)->Close();
  EXPECT_EQ(hub->Stats().subscribers, 1);
  hub->Publish(MakeEvent("cam", 2));
  EXPECT_EQ((*a)->Stats().delivered, 1);
  a->reset();  // destroying a closed subscription is fine
  hub->Close();
  EXPECT_EQ(hub->Publish(MakeEvent("cam", 3)), 0u);
  EXPECT_TRUE((*b)->Closed());
  EXPECT_FALSE((*b)->CutOff());
  EXPECT_EQ(hub->Subscribe(Options("late", 8)).status().code(), absl::StatusCode::kFailedPrecondition);
  hub.reset();  // a subscription may outlive its hub
  std::vector<Message> got;
  EXPECT_EQ((*b)->Drain(&got), 2u);
  EXPECT_EQ((*b)->PopFor(absl::Milliseconds(1)), std::nullopt);
}

// Publishers never wait for subscribers: a subscriber that never reads is cut off after `capacity` messages and a
// reader on another thread gets every message in order.
TEST(HubTest, ConcurrentPublishersNeverBlockOnAStalledSubscriber) {
  Hub hub;
  auto stalled = hub.Subscribe(Options("stalled", 5));
  auto reader = hub.Subscribe(Options("reader", 100000));
  ASSERT_TRUE(stalled.ok() && reader.ok());
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::thread> pubs;
  pubs.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    pubs.emplace_back([&hub, t] {
      for (int i = 0; i < kEach; ++i) hub.Publish(MakeEvent("cam" + std::to_string(t), i));
    });
  }
  std::vector<uint64_t> seqs;
  std::thread consumer([&] {
    while (std::optional<Message> m = (*reader)->Pop()) {
      seqs.push_back(m->seq);
      if (seqs.size() == kThreads * kEach) break;
    }
  });
  for (auto& p : pubs) p.join();
  consumer.join();
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_TRUE((*stalled)->CutOff());
  EXPECT_EQ((*stalled)->Stats().delivered, 5);
  EXPECT_EQ(hub.Stats().cut_off_total, 1);
  EXPECT_EQ(hub.Stats().published_total, kThreads * kEach);
}

}  // namespace
}  // namespace didban::bus
