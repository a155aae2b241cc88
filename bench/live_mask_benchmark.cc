// The masked live view's cost per camera: one camera's packets (a 720p25 clip, read into memory first) replayed
// through server::LiveVideo's packet sink with one fMP4 viewer, either of the stream copy (the baseline: muxing only)
// or of the masked re-encode (decode, fill the privacy masks, encode H.264 with libx264 veryfast/zerolatency, a
// keyframe a second, CRF 23, one thread, mux; and with the superfast and ultrafast presets). CPU is the whole process's
// user+system time (CLOCK_PROCESS_CPUTIME_ID: the replaying thread, the camera's masked worker and any encoder threads)
// per second of video at the clip's frame rate (cpu_s_per_video_s; 1.0 = one core busy for one camera in real time).
//   didban sim drone --out /tmp/sim --seconds 10
//   DIDBAN_MASK_INPUT=/tmp/sim/flight.mp4 build/bench/live_mask_benchmark
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "record/privacy_mask.h"
#include "server/live_video.h"

namespace didban::server {
namespace {

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A clip's video packets in memory, with the stream's parameters.
struct Clip {
  AVCodecParameters* codecpar = nullptr;
  AVRational time_base = {0, 1};
  AVRational frame_rate = {0, 1};
  std::vector<AVPacket*> packets;
  std::vector<TimeUs> pts_us, dts_us;
  double seconds = 0;

  ~Clip() {
    for (AVPacket* p : packets) av_packet_free(&p);
    avcodec_parameters_free(&codecpar);
  }
};

bool Load(const std::string& path, Clip* c) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return false;
  avformat_find_stream_info(fmt, nullptr);
  const int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) {
    avformat_close_input(&fmt);
    return false;
  }
  AVStream* st = fmt->streams[v];
  c->codecpar = avcodec_parameters_alloc();
  avcodec_parameters_copy(c->codecpar, st->codecpar);
  c->time_base = st->time_base;
  c->frame_rate = av_guess_frame_rate(fmt, st, nullptr);
  const int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  constexpr TimeUs kWall = 1'764'640'197'000'000;  // a live camera's wall clock
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == v) {
      auto us = [&](int64_t ts) {
        return ts == AV_NOPTS_VALUE ? source::kNoPacketTime
                                    : kWall + av_rescale_q(ts - start, st->time_base, {1, 1'000'000});
      };
      c->pts_us.push_back(us(pkt->pts));
      c->dts_us.push_back(us(pkt->dts));
      c->packets.push_back(av_packet_clone(pkt));
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  const double fps = av_q2d(c->frame_rate) > 0 ? av_q2d(c->frame_rate) : 25.0;
  c->seconds = static_cast<double>(c->packets.size()) / fps;
  return !c->packets.empty();
}

void BM_LiveMp4(benchmark::State& state, bool masked, const char* preset) {
  const char* in = std::getenv("DIDBAN_MASK_INPUT");
  if (in == nullptr || !std::filesystem::exists(in)) {
    state.SkipWithError("set DIDBAN_MASK_INPUT to a 720p25 video (e.g. didban sim drone's flight.mp4)");
    return;
  }
  Clip clip;
  if (!Load(in, &clip)) {
    state.SkipWithError("cannot read DIDBAN_MASK_INPUT's video packets");
    return;
  }
  // The same two polygons as privacy_benchmark (about 15 % of a 1280x720 frame).
  record::PrivacyMask mask;
  mask.polygons.push_back({{100, 80}, {420, 80}, {420, 300}, {100, 300}});
  mask.polygons.push_back({{900, 400}, {1100, 380}, {1150, 650}, {880, 700}});
  LiveVideoOptions o;
  o.masked = [](const std::string&) { return true; };
  o.mask_pixels = [&mask](const std::string&, cv::Mat* image) { record::ApplyPrivacyMask(mask, *image); };
  if (masked) o.masked_encoder.preset = preset;
  o.masked_queue_packets = clip.packets.size() + 16;  // the replay runs ahead of the re-encode; nothing is dropped
  o.viewer_queue_messages = 1 << 20;
  o.viewer_queue_bytes = size_t{1} << 31;
  auto video = LiveVideo::Create(o);
  if (!video.ok()) {
    state.SkipWithError(std::string(video.status().message()).c_str());
    return;
  }
  source::PacketSink* sink = (*video)->PacketSink("cam");
  auto viewer = (*video)->WatchMp4("cam", nullptr, /*unmasked=*/!masked);
  if (!viewer.ok()) {
    state.SkipWithError(std::string(viewer.status().message()).c_str());
    return;
  }
  double cpu = 0, video_s = 0;
  int64_t bytes = 0;
  auto drain = [&] {
    while (auto m = (*viewer)->TryPop()) bytes += m->text ? 0 : static_cast<int64_t>(m->bytes->size());
  };
  for (auto _ : state) {
    const double cpu0 = ProcessCpuSeconds();
    sink->OnStreamStart(source::PacketStreamInfo{clip.codecpar, clip.time_base, clip.frame_rate, true});
    for (size_t i = 0; i < clip.packets.size(); ++i) {
      sink->OnPacket(*clip.packets[i], clip.pts_us[i], clip.dts_us[i]);
      if (i % 32 == 0) drain();
    }
    sink->OnStreamEnd();
    (*video)->WaitMaskedIdleForTest("cam");
    drain();
    cpu += ProcessCpuSeconds() - cpu0;
    video_s += clip.seconds;
  }
  const LiveVideoStats s = (*video)->Stats()[0];
  (*viewer)->Close();
  if (masked && s.masked_frames_total != static_cast<int64_t>(clip.packets.size() * state.iterations())) {
    state.SkipWithError("the masked re-encode lost frames");
    return;
  }
  state.counters["cpu_s_per_video_s"] = cpu / video_s;
  state.counters["video_s"] = video_s / static_cast<double>(state.iterations());
  state.counters["frames"] = static_cast<double>(clip.packets.size());
  state.counters["width"] = clip.codecpar->width;
  state.counters["height"] = clip.codecpar->height;
  state.counters["fps"] = clip.seconds > 0 ? static_cast<double>(clip.packets.size()) / clip.seconds : 0;
  state.counters["out_kbps"] = static_cast<double>(bytes) * 8 / 1000 / video_s;
  state.counters["worker_cpu_s_per_video_s"] = s.masked_cpu_seconds_total / video_s;
}

// The baseline, then the masked re-encode at the default preset (veryfast) and two faster ones.
BENCHMARK_CAPTURE(BM_LiveMp4, stream_copy, false, "")->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_LiveMp4, masked_reencode, true, "veryfast")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LiveMp4, masked_reencode_superfast, true, "superfast")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LiveMp4, masked_reencode_ultrafast, true, "ultrafast")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace didban::server

BENCHMARK_MAIN();
