#include "source/source.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::source {
namespace {

// A stand-in source for a registered scheme.
class NamedSource final : public FrameSource {
 public:
  explicit NamedSource(std::string uri) { info_.uri = std::move(uri); }
  absl::Status Open() override { return absl::OkStatus(); }
  absl::StatusOr<FramePtr> Read() override { return FramePtr(); }
  const SourceInfo& Info() const override { return info_; }
  SourceState State() const override { return SourceState::kEnded; }

 private:
  SourceInfo info_;
};

TEST(OpenSourceTest, RoutesRegisteredSchemesToTheirFactory) {
  RegisterSourceScheme("testscene", [](const std::string& uri, const SourceOptions&) {
    return absl::StatusOr<std::unique_ptr<FrameSource>>(std::make_unique<NamedSource>(uri));
  });
  EXPECT_EQ(RegisteredSourceSchemes(), std::vector<std::string>{"testscene"});
  absl::StatusOr<std::unique_ptr<FrameSource>> s = OpenSource("TestScene://crossing", SourceOptions{});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(dynamic_cast<NamedSource*>(s->get()), nullptr);
  EXPECT_EQ((*s)->Info().uri, "TestScene://crossing");
  absl::StatusOr<std::unique_ptr<FrameSource>> f = OpenSource("clip.mp4", SourceOptions{});
  ASSERT_TRUE(f.ok());
  EXPECT_NE(dynamic_cast<FfmpegSource*>(f->get()), nullptr);
}

TEST(OpenSourceTest, ValidatesOptionsAndUri) {
  SourceOptions bad;
  bad.decode_threads = -2;
  EXPECT_EQ(OpenSource("a.mp4", bad).status().message(),
            "video 'a.mp4': source option decode_threads: must be in [0, 64] (0 = FFmpeg's choice), got -2");
  EXPECT_EQ(OpenSource("", SourceOptions{}).status().message(), "video source: empty URI");
}

TEST(OpenSourceTest, OpensFromJsonParams) {
  DIDBAN_REQUIRE_DATA(path, "video_fixed/intel_car-detection.mp4");
  nlohmann::json params = {{"uri", path}, {"max_width", 384}, {"camera", "gate"}, {"read_timeout_s", 2.5}};
  absl::StatusOr<std::unique_ptr<FrameSource>> s = OpenSourceFromParams(params);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Open().ok());
  FramePtr f = *(*s)->Read();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->camera, "gate");
  EXPECT_EQ(f->image.cols, 384);
  EXPECT_EQ((*s)->Info().frame_count, 377);
  EXPECT_DOUBLE_EQ((*s)->Info().fps, 12.5);
}

TEST(SourceOptionsTest, ParsesSecondsAndRejectsUnknownKeys) {
  absl::StatusOr<SourceOptions> o = ParseSourceOptions(
      {{"live", true}, {"backoff_initial_s", 0.25}, {"backoff_max_s", 8}, {"open_timeout_s", 3}, {"pool_size", 4}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->live);
  EXPECT_EQ(o->backoff.initial_us, 250'000);
  EXPECT_EQ(o->backoff.max_us, 8'000'000);
  EXPECT_EQ(o->open_timeout_us, 3'000'000);
  EXPECT_EQ(o->read_timeout_us, 10'000'000);
  EXPECT_EQ(o->pool_size, 4u);
  EXPECT_EQ(o->backoff.after_loss_max_us, 1'000'000);
  EXPECT_EQ(o->backoff.after_loss_window_us, 60'000'000);
  absl::StatusOr<SourceOptions> quick =
      ParseSourceOptions({{"backoff_after_loss_max_s", 0.25}, {"backoff_after_loss_window_s", 0}});
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->backoff.after_loss_max_us, 250'000);
  EXPECT_EQ(quick->backoff.after_loss_window_us, 0);
  EXPECT_EQ(ParseSourceOptions({{"backoff_after_loss_max_s", 0}}).status().message(),
            "source option backoff.after_loss_max_us: must be > 0, got 0");
  EXPECT_EQ(ParseSourceOptions({{"max_widht", 3}}).status().message(),
            "source: unknown parameter 'max_widht' (known: uri, camera, max_width, keep_full, decode_threads, live, "
            "sequence_fps, rtsp_transport, open_timeout_s, read_timeout_s, retry_open, max_reconnects, "
            "backoff_initial_s, backoff_max_s, backoff_multiplier, backoff_jitter, backoff_after_loss_max_s, "
            "backoff_after_loss_window_s, pool_size)");
  EXPECT_EQ(ParseSourceOptions({{"rtsp_transport", "http"}}).status().message(),
            "source option rtsp_transport: must be \"tcp\" or \"udp\", got \"http\"");
  EXPECT_EQ(ParseSourceOptions(nlohmann::json{{"uri", 1}}).status().ok(), true);
  EXPECT_EQ(OpenSourceFromParams({{"max_width", 3}}).status().message(),
            "source: missing 'uri' (a file, image pattern or stream URL)");
}

}  // namespace
}  // namespace didban::source
