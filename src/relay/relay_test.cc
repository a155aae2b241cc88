// Tests of the relay: the wire format, the generated nats-server configurations, and the publisher and consumer
// against real nats-server processes on loopback (a hub alone, and a hub with a station's leaf node whose
// JetStream domain keeps the station's events while the hub is away). Skipped when nats-server is not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/json_io.h"
#include "relay/center_consumer.h"
#include "relay/edge_publisher.h"
#include "relay/nats_config.h"
#include "relay/relay_test_util.h"
#include "relay/wire.h"
#include "store/sqlite_connection.h"
#include "testing/data.h"

namespace didban::relay {
namespace {

using testing::CountEvents;
using testing::FreePort;
using testing::NatsServerBinary;
using testing::PortOpen;
using testing::WaitFor;

// A nats-server child process running `conf` (written to a file), killed with SIGKILL on Kill() or destruction.
class NatsServer {
 public:
  NatsServer(std::string dir, std::string conf, int port) : dir_(std::move(dir)), conf_(std::move(conf)), port_(port) {}
  ~NatsServer() { Kill(); }
  bool Start() {
    const std::string path = dir_ + "/nats-" + std::to_string(port_) + ".conf";
    std::ofstream(path) << conf_;
    const std::string log = dir_ + "/nats-" + std::to_string(port_) + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      execl(NatsServerBinary(), "nats-server", "-c", path.c_str(), "-l", log.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (PortOpen(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string Url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

 private:
  std::string dir_, conf_;
  int port_;
  pid_t pid_ = -1;
};

store::StoredEvent MakeEvent(int i, const std::string& camera) {
  store::StoredEvent e;
  e.event.time_us = 1'700'000'000'000'000 + int64_t{i} * 1000;
  e.event.camera = camera;
  e.event.type = "line_cross";
  e.event.rule = "stop line";
  e.event.track_id = i;
  e.event.object_class = ObjectClass::kCar;
  e.event.value = 42.5;
  e.event.unit = "km/h";
  e.event.detail = "direction=in";
  e.id = store::MakeEventId(e.event);
  return e;
}

TEST(WireTest, SubjectsUseSafeTokens) {
  EXPECT_EQ(Subject("north", "cam 1.a", Kind::kEvent), "didban.north.cam_1_a.event");
  EXPECT_EQ(Subject("", "x>*", Kind::kTracks), "didban._.x__.tracks");
  EXPECT_EQ(SiteSubjects("north-2"), "didban.north-2.>");
  EXPECT_EQ(SiteStreamName("north-2"), "DIDBAN_NORTH-2");
  EXPECT_EQ(std::string(KindName(Kind::kCameraState)), "camera_state");
}

TEST(WireTest, EventRoundTripKeepsIdAndFields) {
  store::StoredEvent e = MakeEvent(7, "gate");
  e.event.ground = Point2{12.5, -3.25};
  absl::StatusOr<Decoded> d = Decode(EncodeEvent("north", e));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->kind, Kind::kEvent);
  EXPECT_EQ(d->site, "north");
  EXPECT_EQ(d->camera, "gate");
  EXPECT_EQ(d->event.id, e.id);
  EXPECT_EQ(d->event.event.time_us, e.event.time_us);
  EXPECT_EQ(d->event.event.track_id, 7);
  EXPECT_EQ(d->event.event.object_class, ObjectClass::kCar);
  EXPECT_EQ(d->event.event.rule, "stop line");
  EXPECT_DOUBLE_EQ(d->event.event.value, 42.5);
  ASSERT_TRUE(d->event.event.ground.has_value());
  EXPECT_DOUBLE_EQ(d->event.event.ground->y, -3.25);
  EXPECT_EQ(store::MakeEventId(d->event.event), e.id);  // the id survives the trip
}

// The event encoder writes its JSON directly: the same value as the document nlohmann::json would build, for
// awkward strings (quotes, backslashes, control bytes, invalid UTF-8, non-ASCII) and doubles alike.
TEST(WireTest, EventEncodingIsTheSameJsonValueAsNlohmannBuilds) {
  for (int k = 0; k < 4; ++k) {
    store::StoredEvent e = MakeEvent(k, "gate \"1\"\\x");
    e.event.rule = std::string("stop\tline\n\x01\x1f caf\xc3\xa9 ") + (k == 1 ? "\xff\xfe" : "");
    e.event.detail = k == 2 ? "" : "direction=in; \u00e9\u4e2d";
    e.event.snapshot_path = "/snap/\"x\".jpg";
    e.event.value = std::vector<double>{42.5, 120.0, 1e-7, 0.1 + 0.2}[static_cast<size_t>(k)];
    e.event.other_track_id = -k;
    if (k != 3) e.event.ground = Point2{12.5 * k, -3.0e20};
    nlohmann::json want{
        {"v", 1},
        {"kind", "event"},
        {"site", "north"},
        {"camera", ToValidUtf8(e.event.camera)},
        {"id", e.id},
        {"event",
         {{"time_us", e.event.time_us},
          {"camera", ToValidUtf8(e.event.camera)},
          {"type", e.event.type},
          {"rule", ToValidUtf8(e.event.rule)},
          {"track_id", e.event.track_id},
          {"other_track_id", e.event.other_track_id},
          {"class", "car"},
          {"ground", e.event.ground ? nlohmann::json::array({e.event.ground->x, e.event.ground->y}) : nullptr},
          {"value", e.event.value},
          {"unit", e.event.unit},
          {"detail", ToValidUtf8(e.event.detail)},
          {"snapshot_path", e.event.snapshot_path}}}};
    const std::string got = EncodeEvent("north", e);
    EXPECT_EQ(nlohmann::json::parse(got), want) << got;
    absl::StatusOr<Decoded> d = Decode(got);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->event.event.value, e.event.value);  // exactly: the shortest text that reads back the same
    EXPECT_EQ(d->event.event.ground.has_value(), k != 3);
  }
}

TEST(WireTest, TrackPointsAndStateRoundTrip) {
  store::TrackPoint p;
  p.camera = "gate";
  p.track_id = 3;
  p.time_us = 5'000'000;
  p.object_class = ObjectClass::kPerson;
  p.box = Box{1, 2, 30, 40};
  p.last = true;
  absl::StatusOr<Decoded> d = Decode(EncodeTrackPoints("north", "gate", {p, p}));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->points.size(), 2u);
  EXPECT_EQ(d->points[1].camera, "gate");
  EXPECT_EQ(d->points[1].track_id, 3);
  EXPECT_FLOAT_EQ(d->points[1].box.h, 40);
  EXPECT_TRUE(d->points[1].last);
  EXPECT_FALSE(d->points[1].ground.has_value());

  bus::CameraState s;
  s.camera = "gate";
  s.health = bus::CameraHealth::kOffline;
  s.frames_total = 99;
  s.last_error = "no frame";
  d = Decode(EncodeCameraState("north", s));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->kind, Kind::kCameraState);
  EXPECT_EQ(d->state.health, "offline");
  EXPECT_EQ(d->state.frames_total, 99);
  EXPECT_EQ(d->state.last_error, "no frame");
}

TEST(WireTest, BadBodiesNameTheField) {
  EXPECT_FALSE(Decode("not json").ok());
  absl::StatusOr<Decoded> d = Decode(R"({"kind":"event","site":"a","camera":"c","event":{"camera":"c"},"id":"x"})");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("field event"), std::string::npos) << d.status();
  EXPECT_FALSE(Decode(R"({"kind":"video","site":"a","camera":"c"})").ok());
}

TEST(NatsConfigTest, HubAndLeafCarryDomainsAndStationUsers) {
  HubConfig h;
  h.store_dir = "/var/lib/didban/js";
  h.stations = {{"north", "", "secret1"}, {"south", "s-user", "secret2"}};
  ASSERT_TRUE(h.Validate().ok());
  const std::string hub = HubConf(h);
  EXPECT_NE(hub.find("domain: hub"), std::string::npos) << hub;
  EXPECT_NE(hub.find("port: 7422"), std::string::npos);
  EXPECT_NE(hub.find("{user: \"leaf-north\", password: \"secret1\"}"), std::string::npos) << hub;
  EXPECT_NE(hub.find("{user: \"s-user\""), std::string::npos);
  h.stations.push_back({"hub", "", "x"});
  EXPECT_FALSE(h.Validate().ok());  // a station's domain cannot be the hub's

  LeafConfig l;
  l.site = "north";
  l.store_dir = "/var/lib/didban/js";
  l.hub_url = "nats-leaf://center.example:7422";
  l.user = "leaf-north";
  l.password = "secret1";
  ASSERT_TRUE(l.Validate().ok());
  const std::string leaf = LeafConf(l);
  EXPECT_NE(leaf.find("domain: north"), std::string::npos) << leaf;
  EXPECT_NE(leaf.find("nats-leaf://leaf-north:secret1@center.example:7422"), std::string::npos) << leaf;
  l.hub_url.clear();
  EXPECT_FALSE(l.Validate().ok());
}

TEST(SiteSourceTest, Parses) {
  absl::StatusOr<SiteSource> s = ParseSiteSource("north@north");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->site, "north");
  EXPECT_EQ(s->domain, "north");
  s = ParseSiteSource("south");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->domain, "");
  EXPECT_FALSE(ParseSiteSource("@x").ok());
  EXPECT_FALSE(ParseSiteSource("a@b.c").ok());
}

class RelayServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NatsServerBinary() == nullptr) {
      if (didban::testing::InCi()) FAIL() << "nats-server is not installed";
      GTEST_SKIP() << "nats-server is not installed";
    }
    dir_ = didban::testing::MakeTempDir("relay_test");
  }
  std::unique_ptr<store::Store> OpenCenterStore() {
    store::StoreOptions so;
    so.track_min_interval_us = 0;
    so.flush_interval_us = 20'000;
    absl::StatusOr<std::unique_ptr<store::Store>> s = store::OpenStore(dir_ + "/center.db", so);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_;
};

TEST_F(RelayServerTest, DirectToHubEveryEventOnceDespiteRepeats) {
  const int port = FreePort();
  NatsServer hub(dir_, absl::StrCat("port: ", port, "\nhost: 127.0.0.1\njetstream { store_dir: \"", dir_, "/hub\" }\n"),
                 port);
  ASSERT_TRUE(hub.Start());
  std::unique_ptr<store::Store> center_store = OpenCenterStore();
  ASSERT_NE(center_store, nullptr);
  CenterConsumerOptions co;
  co.nats_url = hub.Url();
  co.fetch_wait_us = 100'000;
  absl::StatusOr<std::unique_ptr<CenterConsumer>> center = CenterConsumer::Start(co, center_store.get());
  ASSERT_TRUE(center.ok()) << center.status();
  // The center's stream must exist before an edge without its own stream publishes.
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().connected; }, 5));

  EdgePublisherOptions eo;
  eo.site = "north";
  eo.nats_url = hub.Url();
  eo.create_stream = false;
  absl::StatusOr<std::unique_ptr<EdgePublisher>> edge = EdgePublisher::Start(eo, nullptr);
  ASSERT_TRUE(edge.ok()) << edge.status();
  for (int i = 0; i < 300; ++i) (*edge)->EnqueueEvent(MakeEvent(i, i % 2 ? "gate" : "road"));
  for (int i = 0; i < 100; ++i) (*edge)->EnqueueEvent(MakeEvent(i, i % 2 ? "gate" : "road"));  // retries
  ASSERT_TRUE((*edge)->WaitIdle(20'000'000));
  ASSERT_TRUE(WaitFor([&] { return CountEvents(center_store.get()) == 300; }, 20)) << CountEvents(center_store.get());
  const EdgePublisherStats es = (*edge)->Stats();
  EXPECT_EQ(es.published_events_total, 400);
  // The broker dropped the 100 repeats (Nats-Msg-Id). A round whose acknowledgements time out (a loaded machine) is
  // sent again, and the broker drops what it had already stored from it as well: more duplicates, never more events.
  if (es.retries_total == 0) {
    EXPECT_EQ(es.duplicates_total, 100);
  } else {
    EXPECT_GE(es.duplicates_total, 100);
    EXPECT_LE(es.duplicates_total, 100 + es.retries_total * static_cast<int64_t>(eo.batch));
  }
  EXPECT_EQ(es.dropped_total, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(CountEvents(center_store.get()), 300);
  EXPECT_EQ((*center)->Stats().events_total, 300);
  const std::vector<SiteView> sites = (*center)->Sites();
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].site, "north");
  EXPECT_TRUE(sites[0].online);
  absl::StatusOr<store::StoredEvent> got = center_store->GetEvent(MakeEvent(5, "gate").id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->event.rule, "stop line");
}

TEST_F(RelayServerTest, LeafNodeKeepsEventsWhileTheHubIsAwayAndTheCenterCatchesUpInOrder) {
  const int hub_port = FreePort(), leaf_port = FreePort(), station_port = FreePort();
  HubConfig hc;
  hc.client_port = hub_port;
  hc.leaf_port = leaf_port;
  hc.monitor_port = 0;
  hc.store_dir = dir_ + "/hub";
  hc.stations = {{"north", "", "pw-north"}};
  LeafConfig lc;
  lc.site = "north";
  lc.client_port = station_port;
  lc.store_dir = dir_ + "/north";
  lc.hub_url = absl::StrCat("nats-leaf://127.0.0.1:", leaf_port);
  lc.user = "leaf-north";
  lc.password = "pw-north";
  NatsServer leaf(dir_, LeafConf(lc), station_port);
  ASSERT_TRUE(leaf.Start());

  // The hub is away: the station's own JetStream takes everything.
  EdgePublisherOptions eo;
  eo.site = "north";
  eo.nats_url = leaf.Url();
  absl::StatusOr<std::unique_ptr<EdgePublisher>> edge = EdgePublisher::Start(eo, nullptr);
  ASSERT_TRUE(edge.ok()) << edge.status();
  for (int i = 0; i < 200; ++i) (*edge)->EnqueueEvent(MakeEvent(i, "gate"));
  ASSERT_TRUE((*edge)->WaitIdle(20'000'000)) << (*edge)->Stats().retries_total;
  EXPECT_EQ((*edge)->Stats().published_events_total, 200);

  NatsServer hub(dir_, HubConf(hc), hub_port);
  ASSERT_TRUE(hub.Start());
  std::unique_ptr<store::Store> center_store = OpenCenterStore();
  ASSERT_NE(center_store, nullptr);
  std::vector<int64_t> order;
  absl::Mutex order_mu;
  CenterConsumerOptions co;
  co.nats_url = absl::StrCat("nats://127.0.0.1:", hub_port);
  co.sites = {{"north", "north"}};
  co.fetch_wait_us = 100'000;
  co.on_committed = [&](const std::vector<Decoded>& batch) {
    absl::MutexLock l(&order_mu);
    for (const Decoded& d : batch) {
      if (d.kind == Kind::kEvent) order.push_back(d.event.event.track_id);
    }
  };
  absl::StatusOr<std::unique_ptr<CenterConsumer>> center = CenterConsumer::Start(co, center_store.get());
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE(WaitFor([&] { return CountEvents(center_store.get()) == 200; }, 30)) << CountEvents(center_store.get());
  for (int i = 200; i < 250; ++i) (*edge)->EnqueueEvent(MakeEvent(i, "gate"));
  ASSERT_TRUE(WaitFor([&] { return CountEvents(center_store.get()) == 250; }, 30)) << CountEvents(center_store.get());
  absl::MutexLock l(&order_mu);
  ASSERT_EQ(order.size(), 250u);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<int64_t>(i)) << "at " << i;
}

// Publishes `body` to `subject` through JetStream without a message id, so that the broker keeps every repeat and
// the center sees them (as after a crash between its commit and its acknowledgement).
void PublishRaw(NatsLink* link, const std::string& subject, const std::string& body) {
  jsPubAck* pa = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_Publish(&pa, link->js(), subject.c_str(), body.data(), static_cast<int>(body.size()), nullptr, &code);
  ASSERT_EQ(s, NATS_OK) << JsError(s, code, subject);
  jsPubAck_Destroy(pa);
}

TEST_F(RelayServerTest, RepeatsInsideAndAcrossBatchesAreStoredOnce) {
  const int port = FreePort();
  NatsServer hub(dir_, absl::StrCat("port: ", port, "\nhost: 127.0.0.1\njetstream { store_dir: \"", dir_, "/hub\" }\n"),
                 port);
  ASSERT_TRUE(hub.Start());
  std::unique_ptr<store::Store> center_store = OpenCenterStore();
  ASSERT_NE(center_store, nullptr);
  std::vector<int64_t> order;
  absl::Mutex order_mu;
  CenterConsumerOptions co;
  co.nats_url = hub.Url();
  co.batch = 64;  // 300 messages: several batches, pipelined
  co.fetch_wait_us = 100'000;
  co.on_committed = [&](const std::vector<Decoded>& batch) {
    absl::MutexLock l(&order_mu);
    for (const Decoded& d : batch) order.push_back(d.event.event.track_id);
  };
  absl::StatusOr<std::unique_ptr<CenterConsumer>> center = CenterConsumer::Start(co, center_store.get());
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().connected; }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the center's stream exists
  absl::StatusOr<std::unique_ptr<NatsLink>> link = NatsLink::Open(hub.Url(), "test-publisher");
  ASSERT_TRUE(link.ok()) << link.status();
  const std::string subject = Subject("north", "gate", Kind::kEvent);
  // Each event twice in a row (the same batch), then all of them once more (later batches).
  for (int i = 0; i < 100; ++i) {
    PublishRaw(link->get(), subject, EncodeEvent("north", MakeEvent(i, "gate")));
    PublishRaw(link->get(), subject, EncodeEvent("north", MakeEvent(i, "gate")));
  }
  for (int i = 0; i < 100; ++i) PublishRaw(link->get(), subject, EncodeEvent("north", MakeEvent(i, "gate")));
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().events_total == 300; }, 30)) << (*center)->Stats().events_total;
  ASSERT_TRUE(center_store->Flush(5'000'000).ok());
  EXPECT_EQ(CountEvents(center_store.get()), 100);
  const store::StoreStats ss = center_store->Stats();
  EXPECT_EQ(ss.events_written_total, 100);
  EXPECT_EQ(ss.events_duplicate_total, 200);
  const CenterConsumerStats cs = (*center)->Stats();
  EXPECT_EQ(cs.received_total, 300);
  EXPECT_EQ(cs.redelivered_total, 0);
  EXPECT_EQ(cs.commit_failures_total, 0);
  EXPECT_GE(cs.batches_total, 5);  // 300 / 64
  absl::MutexLock l(&order_mu);
  ASSERT_EQ(order.size(), 300u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i / 2) << "at " << i;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(200 + i)], i) << "at " << 200 + i;
}

// A station may only speak for itself: a body whose site or camera is not the subject's is acknowledged, dropped and
// counted, never stored (relay::CheckOrigin, called by the consumer for every message).
TEST_F(RelayServerTest, MessagesFromElsewhereThanTheyClaimAreRejected) {
  const int port = FreePort();
  NatsServer hub(dir_, absl::StrCat("port: ", port, "\nhost: 127.0.0.1\njetstream { store_dir: \"", dir_, "/hub\" }\n"),
                 port);
  ASSERT_TRUE(hub.Start());
  std::unique_ptr<store::Store> center_store = OpenCenterStore();
  ASSERT_NE(center_store, nullptr);
  CenterConsumerOptions co;
  co.nats_url = hub.Url();
  co.fetch_wait_us = 100'000;
  absl::StatusOr<std::unique_ptr<CenterConsumer>> center = CenterConsumer::Start(co, center_store.get());
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().connected; }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the center's stream exists
  absl::StatusOr<std::unique_ptr<NatsLink>> link = NatsLink::Open(hub.Url(), "test-publisher");
  ASSERT_TRUE(link.ok()) << link.status();
  // north's subject, south's event; north's subject, another camera; then a good one.
  PublishRaw(link->get(), Subject("north", "gate", Kind::kEvent), EncodeEvent("south", MakeEvent(1, "gate")));
  PublishRaw(link->get(), Subject("north", "gate", Kind::kEvent), EncodeEvent("north", MakeEvent(2, "road")));
  PublishRaw(link->get(), Subject("north", "gate", Kind::kEvent), EncodeEvent("north", MakeEvent(3, "gate")));
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().received_total == 3; }, 30)) << (*center)->Stats().received_total;
  ASSERT_TRUE(center_store->Flush(5'000'000).ok());
  const CenterConsumerStats cs = (*center)->Stats();
  EXPECT_EQ(cs.rejected_total, 2);
  EXPECT_EQ(cs.events_total, 1);
  EXPECT_EQ(CountEvents(center_store.get()), 1);
  EXPECT_TRUE(center_store->GetEvent(MakeEvent(3, "gate").id).ok());
  const std::vector<SiteView> sites = (*center)->Sites();
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].site, "north");
}

// While the store cannot commit (another connection holds SQLite's write lock), the consumer retries the same batches
// and commits nothing newer; once the lock goes every event is stored once and each camera's events are committed
// in order. (Before: a failed commit was negatively acknowledged and redelivered; under load a commit slower than the
// flush timeout failed every time while the store kept committing the repeats, and the redeliveries could come after
// newer messages already delivered to the client: a 10-s stall, and first commits out of order.)
TEST_F(RelayServerTest, FailedCommitsAreRetriedAndStoredOnceInOrderPerCamera) {
  const int port = FreePort();
  NatsServer hub(dir_, absl::StrCat("port: ", port, "\nhost: 127.0.0.1\njetstream { store_dir: \"", dir_, "/hub\" }\n"),
                 port);
  ASSERT_TRUE(hub.Start());
  store::StoreOptions so;
  so.flush_interval_us = 20'000;
  so.busy_timeout_us = 50'000;
  so.max_write_retries = 100000;  // never dropped: the writer retries until the lock goes
  absl::StatusOr<std::unique_ptr<store::Store>> center_store = store::OpenStore(dir_ + "/center.db", so);
  ASSERT_TRUE(center_store.ok()) << center_store.status();
  // Another connection holds the database's write lock: every commit fails until it lets go.
  absl::StatusOr<std::unique_ptr<store::Connection>> locker =
      store::OpenSqliteConnection(dir_ + "/center.db", true, 1'000'000);
  ASSERT_TRUE(locker.ok()) << locker.status();
  ASSERT_TRUE((*locker)->ExecScript("BEGIN EXCLUSIVE").ok());

  std::map<std::string, std::vector<int64_t>> firsts;  // per camera, the first commit of each event
  std::set<std::string> seen;
  absl::Mutex mu;
  CenterConsumerOptions co;
  co.nats_url = hub.Url();
  co.batch = 32;
  co.fetch_wait_us = 50'000;
  co.flush_timeout_us = 300'000;
  co.on_committed = [&](const std::vector<Decoded>& batch) {
    absl::MutexLock l(&mu);
    for (const Decoded& d : batch) {
      if (seen.insert(d.event.id).second) firsts[d.camera].push_back(d.event.event.track_id);
    }
  };
  absl::StatusOr<std::unique_ptr<CenterConsumer>> center = CenterConsumer::Start(co, center_store->get());
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().connected; }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EdgePublisherOptions eo;
  eo.site = "north";
  eo.nats_url = hub.Url();
  eo.create_stream = false;
  absl::StatusOr<std::unique_ptr<EdgePublisher>> edge = EdgePublisher::Start(eo, nullptr);
  ASSERT_TRUE(edge.ok()) << edge.status();
  const std::vector<std::string> cameras = {"gate", "road", "yard"};
  for (int i = 0; i < 300; ++i) (*edge)->EnqueueEvent(MakeEvent(i, cameras[static_cast<size_t>(i) % 3]));
  ASSERT_TRUE((*edge)->WaitIdle(20'000'000));
  ASSERT_TRUE(WaitFor([&] { return (*center)->Stats().commit_failures_total >= 2; }, 20));
  EXPECT_EQ((*center)->Stats().batches_total, 0);
  ASSERT_TRUE((*locker)->ExecScript("ROLLBACK").ok());

  // Every event committed by the consumer (not only by the store's own retries): all 300 acknowledged.
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock l(&mu);
        return seen.size() == 300;
      },
      60))
      << (*center)->Stats().events_total;
  ASSERT_TRUE((*center_store)->Flush(5'000'000).ok());
  EXPECT_EQ(CountEvents(center_store->get()), 300);
  EXPECT_EQ((*center_store)->Stats().events_written_total, 300);
  EXPECT_EQ((*center)->Stats().rejected_total, 0);
  absl::MutexLock l(&mu);
  EXPECT_EQ(seen.size(), 300u);
  for (size_t c = 0; c < cameras.size(); ++c) {
    const std::vector<int64_t>& got = firsts[cameras[c]];
    ASSERT_EQ(got.size(), 100u) << cameras[c];
    for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], static_cast<int64_t>(3 * k + c)) << cameras[c];
  }
}

}  // namespace
}  // namespace didban::relay
