// Test helpers of the recording tests (header only, not part of the library): feeding a video file's packets to a
// PacketSink as the source does, and reading back what a file holds with libavformat/libavcodec.
#ifndef DIDBAN_RECORD_RECORD_TEST_UTIL_H_
#define DIDBAN_RECORD_RECORD_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "didban/time.h"
#include "source/packet.h"

namespace didban::record::testing {

// Demuxes the video stream of `path` into `sink` (times relative to the stream start, as FfmpegSource gives for
// files): OnStreamStart, at most `max_packets` packets (-1 = all), then OnStreamEnd unless `end` is false.
// Returns the packets fed, or -1 when the file cannot be read.
inline int64_t FeedFile(const std::string& path, source::PacketSink* sink, int64_t max_packets = -1, bool end = true) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return -1;
  if (avformat_find_stream_info(fmt, nullptr) < 0) {
    avformat_close_input(&fmt);
    return -1;
  }
  int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) {
    avformat_close_input(&fmt);
    return -1;
  }
  AVStream* st = fmt->streams[v];
  int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  sink->OnStreamStart(
      source::PacketStreamInfo{st->codecpar, st->time_base, av_guess_frame_rate(fmt, st, nullptr), false});
  AVPacket* pkt = av_packet_alloc();
  int64_t n = 0;
  while ((max_packets < 0 || n < max_packets) && av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == v) {
      auto us = [&](int64_t ts) {
        return ts == AV_NOPTS_VALUE ? source::kNoPacketTime : av_rescale_q(ts - start, st->time_base, {1, 1000000});
      };
      sink->OnPacket(*pkt, us(pkt->pts), us(pkt->dts));
      ++n;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  if (end) sink->OnStreamEnd();
  avformat_close_input(&fmt);
  return n;
}

// What a video file holds, read back with FFmpeg.
struct FileContents {
  bool opened = false;
  int64_t packets = 0;
  int64_t keyframes = 0;
  int64_t decoded = 0;  // frames the decoder produced (the file plays)
  int64_t decode_errors = 0;
  std::vector<TimeUs> pts_us;  // presentation times of the packets in file time, demux order
  bool first_is_key = false;
};

inline FileContents ReadFile(const std::string& path) {
  FileContents c;
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return c;
  if (avformat_find_stream_info(fmt, nullptr) < 0) {
    avformat_close_input(&fmt);
    return c;
  }
  int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) {
    avformat_close_input(&fmt);
    return c;
  }
  c.opened = true;
  AVStream* st = fmt->streams[v];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, st->codecpar);
  dec->thread_count = 1;
  bool dec_ok = avcodec_open2(dec, codec, nullptr) >= 0;
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  auto drain = [&] {
    while (avcodec_receive_frame(dec, frame) == 0) {
      ++c.decoded;
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == v) {
      if (c.packets == 0) c.first_is_key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      ++c.packets;
      if ((pkt->flags & AV_PKT_FLAG_KEY) != 0) ++c.keyframes;
      c.pts_us.push_back(av_rescale_q(pkt->pts, st->time_base, {1, 1000000}));
      if (dec_ok) {
        if (avcodec_send_packet(dec, pkt) < 0) ++c.decode_errors;
        drain();
      }
    }
    av_packet_unref(pkt);
  }
  if (dec_ok) {
    avcodec_send_packet(dec, nullptr);
    drain();
  }
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return c;
}

}  // namespace didban::record::testing

#endif  // DIDBAN_RECORD_RECORD_TEST_UTIL_H_
