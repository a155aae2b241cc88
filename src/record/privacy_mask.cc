// Privacy masks, blurring and the masked re-encode (privacy_mask.h).
#include "record/privacy_mask.h"

#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "source/ffmpeg_source.h"

namespace didban::record {
namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One masked re-encode at a time for playback (CachedMaskedCopy): repeated requests wait and find the cached file.
std::mutex& ReencodeMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

absl::StatusOr<PrivacyMask> ParsePrivacyMask(const nlohmann::json& value, const std::string& where) {
  PrivacyMask mask;
  if (value.is_null()) return mask;
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError(absl::StrCat(where, ": ", what)); };
  if (!value.is_array()) return bad("expected a list of polygons, each a list of [x, y] points (pixels)");
  if (static_cast<int>(value.size()) > kMaxMaskPolygons) {
    return bad(absl::StrCat(value.size(), " polygons, above the limit of ", kMaxMaskPolygons));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const nlohmann::json& poly = value[i];
    const std::string at = absl::StrCat("[", i, "]");
    if (!poly.is_array() || poly.size() < 3) return bad(at + ": a polygon needs at least 3 [x, y] points");
    if (static_cast<int>(poly.size()) > kMaxMaskVertices) {
      return bad(absl::StrCat(at, ": ", poly.size(), " points, above the limit of ", kMaxMaskVertices));
    }
    std::vector<cv::Point2f> points;
    for (size_t k = 0; k < poly.size(); ++k) {
      const nlohmann::json& p = poly[k];
      const std::string pat = absl::StrCat(at, "[", k, "]");
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
        return bad(pat + ": expected [x, y] in pixels");
      }
      const double x = p[0].get<double>();
      const double y = p[1].get<double>();
      if (!std::isfinite(x) || !std::isfinite(y) || std::abs(x) > kMaxMaskCoordinatePx ||
          std::abs(y) > kMaxMaskCoordinatePx) {
        return bad(absl::StrCat(pat, ": coordinates beyond ", kMaxMaskCoordinatePx, " px"));
      }
      points.emplace_back(static_cast<float>(x), static_cast<float>(y));
    }
    mask.polygons.push_back(std::move(points));
  }
  return mask;
}

nlohmann::json PrivacyMaskToJson(const PrivacyMask& mask) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& poly : mask.polygons) {
    nlohmann::json p = nlohmann::json::array();
    for (const cv::Point2f& v : poly) p.push_back({v.x, v.y});
    out.push_back(std::move(p));
  }
  return out;
}

void ApplyPrivacyMask(const PrivacyMask& mask, cv::Mat& image, double scale) {
  if (mask.empty() || image.empty()) return;
  // Sub-pixel vertices (4 fractional bits) so a downscaled frame is filled where the full frame would be; the
  // polygons are drawn with their outline too, so the boundary pixels are covered.
  constexpr int kShift = 4;
  std::vector<std::vector<cv::Point>> polys;
  polys.reserve(mask.polygons.size());
  for (const auto& poly : mask.polygons) {
    std::vector<cv::Point> p;
    p.reserve(poly.size());
    for (const cv::Point2f& v : poly) {
      p.emplace_back(static_cast<int>(std::lround(v.x * scale * (1 << kShift))),
                     static_cast<int>(std::lround(v.y * scale * (1 << kShift))));
    }
    polys.push_back(std::move(p));
  }
  const cv::Scalar black = cv::Scalar::all(0);
  cv::fillPoly(image, polys, black, cv::LINE_8, kShift);
  cv::polylines(image, polys, /*isClosed=*/true, black, 1, cv::LINE_8, kShift);
}

void BlurBoxes(cv::Mat& image, const std::vector<Box>& boxes, double scale) {
  if (image.empty()) return;
  const cv::Rect frame(0, 0, image.cols, image.rows);
  for (const Box& b : boxes) {
    const double gx = 0.1 * b.w, gy = 0.1 * b.h;
    const cv::Rect r =
        cv::Rect(static_cast<int>(std::floor((b.x - gx) * scale)), static_cast<int>(std::floor((b.y - gy) * scale)),
                 static_cast<int>(std::ceil((b.w + 2 * gx) * scale)) + 1,
                 static_cast<int>(std::ceil((b.h + 2 * gy) * scale)) + 1) &
        frame;
    if (r.width < 2 || r.height < 2) continue;
    cv::Mat roi = image(r);
    const int block = std::max(8, std::min(r.width, r.height) / 8);
    cv::Mat small;
    cv::resize(roi, small, cv::Size(std::max(1, r.width / block), std::max(1, r.height / block)), 0, 0, cv::INTER_AREA);
    cv::resize(small, roi, roi.size(), 0, 0, cv::INTER_NEAREST);
    const int k = (block | 1);
    cv::GaussianBlur(roi, roi, cv::Size(k, k), 0);
  }
}

absl::StatusOr<MaskedExport> ReencodeMasked(const std::string& in_path, TimeUs time_origin_us,
                                            const std::string& out_path, const MaskedExportOptions& options) {
  const double cpu0 = CpuSeconds();
  source::SourceOptions so;
  so.decode_threads = 1;
  source::FfmpegSource src(in_path, so);
  DIDBAN_RETURN_IF_ERROR(src.Open());
  VideoWriterOptions wo = options.writer;
  if (src.Info().fps > 0) wo.fps = src.Info().fps;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<VideoWriter> writer, VideoWriter::Create(out_path, wo));
  MaskedExport out;
  out.clip.path = out_path;
  bool first = true;
  TimeUs first_pts = 0, last_pts = 0;
  cv::Mat canvas;
  auto fail = [&](const absl::Status& s) {
    writer.reset();
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    return absl::InternalError(absl::StrCat("masked export to '", out_path, "': ", s.message()));
  };
  for (;;) {
    absl::StatusOr<FramePtr> f = src.Read();
    if (!f.ok()) return fail(f.status());
    if (*f == nullptr) break;
    const Frame& frame = **f;
    if (first) {
      first_pts = frame.pts_us;
      first = false;
    }
    last_pts = frame.pts_us;
    const cv::Mat& full = frame.full.empty() ? frame.image : frame.full;
    full.copyTo(canvas);  // frames are shared and immutable: draw on a copy
    const TimeUs t = time_origin_us + (frame.pts_us - first_pts);
    if (options.blur_boxes) {
      const std::vector<Box> boxes = options.blur_boxes(t);
      BlurBoxes(canvas, boxes);
      out.blurred_boxes += static_cast<int64_t>(boxes.size());
    }
    // The mask last: a blurred box next to a mask cannot smear masked pixels back in.
    ApplyPrivacyMask(options.mask, canvas);
    if (absl::Status s = writer->Write(canvas, frame.pts_us); !s.ok()) return fail(s);
    ++out.clip.frames;
  }
  if (out.clip.frames == 0) return fail(absl::DataLossError(absl::StrCat("'", in_path, "' has no frame")));
  if (absl::Status s = writer->Close(); !s.ok()) return fail(s);
  out.encoder = writer->CodecName();
  const double frame_us = wo.fps > 0 ? 1e6 / wo.fps : 0;
  out.video_seconds = (static_cast<double>(last_pts - first_pts) + frame_us) * 1e-6;
  out.clip.start_us = time_origin_us;
  out.clip.end_us = time_origin_us + static_cast<TimeUs>(out.video_seconds * 1e6);
  out.cpu_seconds = CpuSeconds() - cpu0;
  return out;
}

absl::StatusOr<MaskedExport> ExportMaskedClip(const std::vector<SegmentInfo>& segments, TimeUs from_us, TimeUs to_us,
                                              const std::string& out_path, const MaskedExportOptions& options) {
  const std::string copy_path = out_path + ".copy.mp4";
  DIDBAN_ASSIGN_OR_RETURN(ExportedClip copy, ExportClip(segments, from_us, to_us, copy_path));
  absl::StatusOr<MaskedExport> out = ReencodeMasked(copy_path, copy.start_us, out_path, options);
  std::error_code ec;
  std::filesystem::remove(copy_path, ec);
  if (!out.ok()) return out.status();
  out->clip.segments = copy.segments;
  out->clip.start_us = copy.start_us;
  out->clip.end_us = copy.end_us;
  return out;
}

std::string PrivacyMaskKey(const PrivacyMask& mask) {
  const std::string text = PrivacyMaskToJson(mask).dump();
  uint64_t h = 14695981039346656037ULL;  // FNV-1a, 64 bits
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, h);
  return hex;
}

absl::StatusOr<std::string> CachedMaskedCopy(const std::string& in_path, TimeUs time_origin_us, const PrivacyMask& mask,
                                             const std::string& cache_dir, const std::string& name, bool* reencoded) {
  namespace fs = std::filesystem;
  if (reencoded != nullptr) *reencoded = false;
  const std::string out = (fs::path(cache_dir) / absl::StrCat(name, "-", PrivacyMaskKey(mask), ".mp4")).string();
  std::lock_guard<std::mutex> lock(ReencodeMutex());
  std::error_code ec;
  const fs::file_time_type in_time = fs::last_write_time(in_path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("'", in_path, "': ", ec.message()));
  const fs::file_time_type out_time = fs::last_write_time(out, ec);
  if (!ec && out_time >= in_time && fs::file_size(out, ec) > 0 && !ec) return out;
  fs::create_directories(cache_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(cache_dir, ": cannot create: ", ec.message()));
  // Written under a temporary name and renamed, so a reader never finds half a file.
  std::ostringstream tid;
  tid << std::this_thread::get_id();
  const std::string tmp = absl::StrCat(out, ".", tid.str(), ".tmp.mp4");
  MaskedExportOptions options;
  options.mask = mask;
  absl::StatusOr<MaskedExport> done = ReencodeMasked(in_path, time_origin_us, tmp, options);
  if (!done.ok()) {
    fs::remove(tmp, ec);
    return done.status();
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return absl::InternalError(absl::StrCat("'", out, "': cannot rename the masked copy: ", ec.message()));
  }
  if (reencoded != nullptr) *reencoded = true;
  return out;
}

}  // namespace didban::record
