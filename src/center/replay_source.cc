#include "center/replay_source.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "source/source.h"

namespace didban::center {

class ReplaySource::ShiftedPackets final : public source::PacketSink {
 public:
  ShiftedPackets(ReplaySource* owner, source::PacketSink* out) : owner_(owner), out_(out) {}
  void OnStreamStart(const source::PacketStreamInfo& info) override {
    source::PacketStreamInfo live = info;
    live.live = true;
    out_->OnStreamStart(live);
  }
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    out_->OnPacket(packet, pts_us == source::kNoPacketTime ? pts_us : owner_->WallOf(pts_us),
                   dts_us == source::kNoPacketTime ? dts_us : owner_->WallOf(dts_us));
  }
  void OnStreamEnd() override { out_->OnStreamEnd(); }

 private:
  ReplaySource* owner_;
  source::PacketSink* out_;
};

absl::Status ReplayOptions::Validate() const {
  if (!(speed > 0) || !std::isfinite(speed)) return absl::InvalidArgumentError("replay speed must be > 0");
  return absl::OkStatus();
}

ReplaySource::ReplaySource(std::string uri, source::SourceOptions options, ReplayOptions replay)
    : uri_(std::move(uri)),
      options_(std::move(options)),
      replay_(replay),
      clock_(replay.clock != nullptr ? replay.clock : &SystemClock()) {
  info_.uri = uri_;
  info_.live = true;
}

ReplaySource::~ReplaySource() { inner_.reset(); }  // the file source ends its stream into packets_ first

TimeUs ReplaySource::WallOf(TimeUs pts_us) {
  if (pass_first_pts_ < 0) pass_first_pts_ = pts_us;  // a packet can come before the pass's first frame
  const TimeUs media_us = pass_base_us_ + std::max<TimeUs>(0, pts_us - pass_first_pts_);
  return start_wall_us_ + static_cast<TimeUs>(static_cast<double>(media_us) / replay_.speed);
}

absl::Status ReplaySource::OpenInner() {
  source::SourceOptions o = options_;
  if (o.packet_sink != nullptr) {
    if (packets_ == nullptr) packets_ = std::make_unique<ShiftedPackets>(this, options_.packet_sink);
    o.packet_sink = packets_.get();
  }
  inner_.reset();
  DIDBAN_ASSIGN_OR_RETURN(inner_, source::OpenSource(uri_, o));
  DIDBAN_RETURN_IF_ERROR(inner_->Open());
  info_ = inner_->Info();
  info_.live = true;  // paced like a camera: the graph drops frames rather than blocking when analysis lags
  info_.frame_count = 0;
  return absl::OkStatus();
}

absl::Status ReplaySource::Open() {
  DIDBAN_RETURN_IF_ERROR(replay_.Validate());
  start_steady_us_ = clock_->SteadyUs();
  start_wall_us_ = clock_->NowUs();
  absl::Status s = OpenInner();
  if (!s.ok()) {
    state_.store(SourceState::kFailed);
    return s;
  }
  state_.store(SourceState::kStreaming);
  return absl::OkStatus();
}

bool ReplaySource::SleepUntil(TimeUs until_us) {
  constexpr TimeUs kSliceUs = 20'000;
  while (!interrupted_.load()) {
    TimeUs left = until_us - clock_->SteadyUs();
    if (left <= 0) return true;
    clock_->SleepUs(std::min(left, kSliceUs));
  }
  return false;
}

absl::StatusOr<FramePtr> ReplaySource::Read() {
  if (inner_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(uri_, ": Read() before Open()"));
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (interrupted_.load()) {
      state_.store(SourceState::kEnded);
      return FramePtr(nullptr);
    }
    DIDBAN_ASSIGN_OR_RETURN(FramePtr frame, inner_->Read());
    if (frame == nullptr) {
      if (!replay_.loop || attempt > 0) {
        state_.store(SourceState::kEnded);
        return FramePtr(nullptr);
      }
      // Start over one frame interval after the last frame.
      const double fps = info_.fps > 0 ? info_.fps : 25;
      pass_base_us_ = last_media_us_ + SecondsToUs(1.0 / fps);
      pass_first_pts_ = -1;
      DIDBAN_RETURN_IF_ERROR(OpenInner());
      loops_.fetch_add(1);
      continue;
    }
    const TimeUs wall_us = WallOf(frame->pts_us);
    last_media_us_ = pass_base_us_ + std::max<TimeUs>(0, frame->pts_us - pass_first_pts_);
    if (!SleepUntil(start_steady_us_ + (wall_us - start_wall_us_))) {
      state_.store(SourceState::kEnded);
      return FramePtr(nullptr);
    }
    auto out = std::make_shared<Frame>(*frame);  // shares the pixels; only the header is copied
    out->pts_us = wall_us;
    out->index = frames_.fetch_add(1);
    return FramePtr(std::move(out));
  }
  state_.store(SourceState::kEnded);
  return FramePtr(nullptr);  // the file has no frames
}

SourceCounters ReplaySource::Counters() const {
  SourceCounters c;
  c.frames = frames_.load();
  return c;
}

}  // namespace didban::center
