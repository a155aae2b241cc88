#include "detect/gated_detector.h"

#include <algorithm>
#include <cmath>

#include "core/params.h"
#include "detect/box_ops.h"

namespace didban::detect {

absl::Status GatedOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(motion.Validate());
  DIDBAN_RETURN_IF_ERROR(dnn.Validate());
  if (detect_hz < 0) return absl::InvalidArgumentError("gated.detect_hz: must be >= 0");
  if (crop_pad < 0) return absl::InvalidArgumentError("gated.crop_pad: must be >= 0");
  if (min_crop_px < 0) return absl::InvalidArgumentError("gated.min_crop_px: must be >= 0");
  if (!(full_frame_above > 0 && full_frame_above <= 1)) {
    return absl::InvalidArgumentError("gated.full_frame_above: must be in (0, 1]");
  }
  if (!(inherit_overlap > 0 && inherit_overlap <= 1)) {
    return absl::InvalidArgumentError("gated.inherit_overlap: must be in (0, 1]");
  }
  if (memory_s < 0) return absl::InvalidArgumentError("gated.memory_s: must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<GatedOptions> ParseGatedOptions(const nlohmann::json& params, const std::string& where) {
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(params,
                                          {"motion", "dnn", "detect_hz", "crop", "crop_pad", "min_crop_px",
                                           "full_frame_above", "inherit_overlap", "memory_s", "keep_unclassified"},
                                          where));
  GatedOptions o;
  nlohmann::json motion = nlohmann::json::object();
  nlohmann::json dnn = nlohmann::json::object();
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "motion", &motion, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "dnn", &dnn, where));
  DIDBAN_ASSIGN_OR_RETURN(o.motion, ParseMotionOptions(motion, where + ".motion"));
  DIDBAN_ASSIGN_OR_RETURN(o.dnn, ParseDnnOptions(dnn, where + ".dnn"));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "detect_hz", &o.detect_hz, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "crop", &o.crop, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "crop_pad", &o.crop_pad, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_crop_px", &o.min_crop_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "full_frame_above", &o.full_frame_above, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "inherit_overlap", &o.inherit_overlap, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "memory_s", &o.memory_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "keep_unclassified", &o.keep_unclassified, where));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::StatusOr<std::unique_ptr<GatedDetector>> GatedDetector::Create(const GatedOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<DnnDetector> dnn, DnnDetector::Create(options.dnn));
  return std::unique_ptr<GatedDetector>(new GatedDetector(options, std::move(dnn)));
}

GatedDetector::GatedDetector(const GatedOptions& options, std::unique_ptr<DnnDetector> dnn)
    : options_(options), motion_(options.motion), dnn_(std::move(dnn)) {}

bool GatedDetector::DnnDue(TimeUs time_us) const {
  if (!ran_ || options_.detect_hz <= 0 || time_us < last_run_us_) return true;
  return time_us - last_run_us_ >= SecondsToUs(1.0 / options_.detect_hz);
}

Box GatedDetector::DnnRegion(const std::vector<Box>& motion, const cv::Size& frame) const {
  Box full{0, 0, static_cast<float>(frame.width), static_cast<float>(frame.height)};
  if (!options_.crop || motion.empty()) return full;
  Box u = motion[0];
  for (const Box& b : motion) u = UnionBox(u, b);
  // Pad, then grow to the minimum side and to the network's aspect ratio around the centre.
  float pad = std::max(16.f, static_cast<float>(options_.crop_pad) * std::max(u.w, u.h));
  float w = u.w + 2 * pad, h = u.h + 2 * pad;
  cv::Size input = dnn_->input_size();
  float min_side =
      static_cast<float>(options_.min_crop_px > 0 ? options_.min_crop_px : std::min(input.width, input.height));
  w = std::max(w, min_side);
  h = std::max(h, min_side);
  float aspect = static_cast<float>(input.width) / static_cast<float>(input.height);
  if (w / h < aspect) {
    w = h * aspect;
  } else {
    h = w / aspect;
  }
  w = std::min(w, full.w);
  h = std::min(h, full.h);
  Point2 c = u.Center();
  float x = std::clamp(static_cast<float>(c.x) - 0.5f * w, 0.f, full.w - w);
  float y = std::clamp(static_cast<float>(c.y) - 0.5f * h, 0.f, full.h - h);
  Box region{std::floor(x), std::floor(y), std::floor(w), std::floor(h)};
  if (region.Area() > options_.full_frame_above * full.Area()) return full;
  return region;
}

absl::StatusOr<Detections> GatedDetector::RunDnn(const cv::Mat& image, const Box& region, TimeUs time_us) {
  cv::Rect r(static_cast<int>(region.x), static_cast<int>(region.y), static_cast<int>(region.w),
             static_cast<int>(region.h));
  r &= cv::Rect(0, 0, image.cols, image.rows);
  DIDBAN_ASSIGN_OR_RETURN(Detections dets, dnn_->DetectImage(image(r)));
  for (Detection& d : dets) {
    d.box.x += static_cast<float>(r.x);
    d.box.y += static_cast<float>(r.y);
  }
  ran_ = true;
  last_run_us_ = time_us;
  ++dnn_runs_;
  dnn_pixels_ += r.area();
  last_region_ =
      Box{static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.width), static_cast<float>(r.height)};
  memory_.clear();
  for (const Detection& d : dets) memory_.push_back({d, time_us});
  return dets;
}

Detections GatedDetector::Inherit(const std::vector<Box>& motion, TimeUs time_us) {
  std::erase_if(memory_, [&](const Remembered& m) {
    return time_us < m.seen_us || time_us - m.seen_us > SecondsToUs(options_.memory_s);
  });
  Detections out;
  for (const Box& b : motion) {
    Remembered* best = nullptr;
    float best_overlap = 0.f;
    for (Remembered& m : memory_) {
      float overlap = Intersection(b, m.detection.box) / std::max(1.f, std::min(b.Area(), m.detection.box.Area()));
      if (overlap >= options_.inherit_overlap && overlap > best_overlap) {
        best_overlap = overlap;
        best = &m;
      }
    }
    if (best != nullptr) {
      out.push_back({b, best->detection.score, best->detection.object_class, best->detection.model_class});
      best->detection.box = b;  // follow the object
      best->seen_us = time_us;
    } else if (options_.keep_unclassified) {
      out.push_back({b, 1.f, ObjectClass::kUnknown, -1});
    }
  }
  return out;
}

absl::StatusOr<Detections> GatedDetector::Detect(const Frame& frame) {
  last_region_ = Box{};
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Box> motion, motion_.DetectBoxes(frame.image, frame.pts_us));
  cv::Size size = frame.image.size();
  if (motion_.WarmingUp()) {
    // No background yet: look at the whole frame at the detection rate.
    if (!DnnDue(frame.pts_us)) return Detections{};
    Box full{0, 0, static_cast<float>(size.width), static_cast<float>(size.height)};
    return RunDnn(frame.image, full, frame.pts_us);
  }
  if (motion.empty()) return Detections{};
  if (DnnDue(frame.pts_us)) return RunDnn(frame.image, DnnRegion(motion, size), frame.pts_us);
  return Inherit(motion, frame.pts_us);
}

}  // namespace didban::detect
