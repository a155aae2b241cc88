#include "record/live_fmp4.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace didban::record {

// Collects what the muxer writes until it is taken.
class LiveFmp4::Buffer final : public ByteSink {
 public:
  absl::Status Write(const uint8_t* data, size_t size) override {
    bytes_.append(reinterpret_cast<const char*>(data), size);
    return absl::OkStatus();
  }
  std::shared_ptr<const std::string> Take() { return std::make_shared<const std::string>(std::exchange(bytes_, {})); }
  bool Empty() const { return bytes_.empty(); }

 private:
  std::string bytes_;
};

LiveFmp4::LiveFmp4(std::string camera, std::function<void(const LiveChunk&)> on_chunk, TimeUs fragment_us)
    : camera_(std::move(camera)),
      on_chunk_(std::move(on_chunk)),
      fragment_us_(fragment_us),
      buffer_(std::make_unique<Buffer>()) {}

LiveFmp4::~LiveFmp4() = default;

void LiveFmp4::OnStreamStart(const source::PacketStreamInfo& info) {
  std::lock_guard<std::mutex> lock(mu_);
  muxer_.reset();
  codecpar_.reset(avcodec_parameters_alloc(), [](AVCodecParameters* p) { avcodec_parameters_free(&p); });
  if (codecpar_ == nullptr || info.codecpar == nullptr || avcodec_parameters_copy(codecpar_.get(), info.codecpar) < 0) {
    codecpar_.reset();
    ++errors_;
    return;
  }
  time_base_ = info.time_base;
  frame_rate_ = info.frame_rate;
}

void LiveFmp4::OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) {
  std::vector<LiveChunk> chunks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (codecpar_ == nullptr) return;
    const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
    if (muxer_ == nullptr) {
      if (!key) return;  // a stream starts at a keyframe
      Fmp4MuxerOptions o;
      o.fragment_every_packet = fragment_us_ <= 0;
      o.fragment_us = 0;  // fragments end before keyframes, here, or when they span fragment_us_
      o.flush_after_us = std::max<TimeUs>(fragment_us_, 0);
      o.time_origin_us = 0;
      auto m = Fmp4Muxer::Create(*codecpar_, time_base_, frame_rate_, buffer_.get(), o, "live video of " + camera_);
      if (!m.ok()) {
        if (errors_++ == 0) spdlog::warn("{}", std::string(m.status().message()));
        codecpar_.reset();
        return;
      }
      muxer_ = std::move(*m);
      init_ = buffer_->Take();
      chunks.push_back(LiveChunk{true, false, dts_us != source::kNoPacketTime ? dts_us : pts_us, init_});
    }
    absl::Status s = absl::OkStatus();
    if (key && muxer_->PendingPackets() > 0) {  // a viewer joins at a keyframe: it must start its own fragment
      s = muxer_->EndFragment();
      if (s.ok() && !buffer_->Empty())
        chunks.push_back(LiveChunk{false, pending_key_, pending_pts_us_, buffer_->Take()});
    }
    if (s.ok() && muxer_->PendingPackets() == 0) {
      pending_key_ = key;
      pending_pts_us_ = pts_us;
    }
    if (s.ok()) s = muxer_->Write(packet, pts_us, dts_us);
    if (!s.ok()) {
      ++errors_;
      muxer_.reset();
      return;
    }
    if (!buffer_->Empty()) chunks.push_back(LiveChunk{false, pending_key_, pending_pts_us_, buffer_->Take()});
  }
  if (on_chunk_) {
    for (const LiveChunk& c : chunks) on_chunk_(c);
  }
}

void LiveFmp4::OnStreamEnd() {
  LiveChunk last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (muxer_ != nullptr && muxer_->PendingPackets() > 0 && muxer_->EndFragment().ok() && !buffer_->Empty()) {
      last = LiveChunk{false, pending_key_, pending_pts_us_, buffer_->Take()};
    }
    muxer_.reset();
  }
  if (on_chunk_ && last.bytes != nullptr) on_chunk_(last);
}

std::shared_ptr<const std::string> LiveFmp4::InitSegment() const {
  std::lock_guard<std::mutex> lock(mu_);
  return init_;
}

int64_t LiveFmp4::Errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

}  // namespace didban::record
