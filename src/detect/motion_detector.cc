#include "detect/motion_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "core/params.h"
#include "detect/box_ops.h"

namespace didban::detect {

namespace {

constexpr double kReferenceWidth = 320.0;
constexpr int kShadowValue = 127;  // MOG2's mark for shadow pixels; foreground is 255

cv::Mat Kernel(int reference_px, double scale) {
  if (reference_px <= 0) return {};
  // The nearest odd size: an even kernel would shift the mask by half a pixel per operation.
  int k = 2 * static_cast<int>(std::lround((reference_px * scale - 1.0) / 2.0)) + 1;
  if (k <= 1) return {};
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k));
}

}  // namespace

absl::Status MotionOptions::Validate() const {
  if (model != "gaussian" && model != "mog2") {
    return absl::InvalidArgumentError(absl::StrCat("motion.model: '", model, "' is not one of gaussian, mog2"));
  }
  if (process_width < 0) return absl::InvalidArgumentError("motion.process_width: must be >= 0");
  if (process_width > 0 && process_width < 32) {
    return absl::InvalidArgumentError("motion.process_width: must be 0 (native) or at least 32");
  }
  if (!(var_threshold > 0)) return absl::InvalidArgumentError("motion.var_threshold: must be > 0");
  if (!(background_time_s > 0)) return absl::InvalidArgumentError("motion.background_time_s: must be > 0");
  if (blob_downscale != 1 && blob_downscale != 2) {
    return absl::InvalidArgumentError("motion.blob_downscale: must be 1 or 2");
  }
  if (open_px < 0 || open_px > 31) return absl::InvalidArgumentError("motion.open_px: must be in [0, 31]");
  if (close_px < 0 || close_px > 31) return absl::InvalidArgumentError("motion.close_px: must be in [0, 31]");
  if (min_area_px < 0) return absl::InvalidArgumentError("motion.min_area_px: must be >= 0");
  if (warmup_us < 0) return absl::InvalidArgumentError("motion.warmup_s: must be >= 0");
  if (split_ratio != 0 && !(split_ratio > 1)) return absl::InvalidArgumentError("motion.split_ratio: must be 0 or > 1");
  if (!(split_min_px >= 1)) return absl::InvalidArgumentError("motion.split_min_px: must be >= 1");
  if (init_frames < 1 || init_frames > 31) return absl::InvalidArgumentError("motion.init_frames: must be in [1, 31]");
  if (!(shadow_tau > 0 && shadow_tau < 1)) return absl::InvalidArgumentError("motion.shadow_tau: must be in (0, 1)");
  if (!(max_foreground > 0 && max_foreground <= 1)) {
    return absl::InvalidArgumentError("motion.max_foreground: must be in (0, 1]");
  }
  if (!(foreground_rate >= 0 && foreground_rate <= 1)) {
    return absl::InvalidArgumentError("motion.foreground_rate: must be in [0, 1]");
  }
  if (!(split_width_m >= 0)) return absl::InvalidArgumentError("motion.split_width_m: must be >= 0");
  if (!(min_vehicle_width_m > 0)) return absl::InvalidArgumentError("motion.min_vehicle_width_m: must be > 0");
  if (!(split_dip > 0 && split_dip <= 1)) return absl::InvalidArgumentError("motion.split_dip: must be in (0, 1]");
  if (!(long_vehicle_m >= 0)) return absl::InvalidArgumentError("motion.long_vehicle_m: must be >= 0");
  if (ground_homography) {
    for (int i = 0; i < 9; ++i) {
      if (!std::isfinite(ground_homography->val[i])) {
        return absl::InvalidArgumentError("motion.ground_homography: must be finite");
      }
    }
    if (std::abs(cv::determinant(*ground_homography)) < 1e-12) {
      return absl::InvalidArgumentError("motion.ground_homography: singular");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MotionOptions> ParseMotionOptions(const nlohmann::json& params, const std::string& where) {
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(params,
                                          {"model",
                                           "process_width",
                                           "var_threshold",
                                           "background_time_s",
                                           "grey",
                                           "shadows",
                                           "blob_downscale",
                                           "open_px",
                                           "close_px",
                                           "min_area_px",
                                           "merge_gap_px",
                                           "warmup_s",
                                           "split_ratio",
                                           "split_min_px",
                                           "init_frames",
                                           "foreground_rate",
                                           "max_foreground",
                                           "shadow_tau",
                                           "ground_homography",
                                           "split_width_m",
                                           "min_vehicle_width_m",
                                           "split_dip",
                                           "long_vehicle_m"},
                                          where));
  MotionOptions o;
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "model", &o.model, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "process_width", &o.process_width, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "var_threshold", &o.var_threshold, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "background_time_s", &o.background_time_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "grey", &o.grey, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "shadows", &o.shadows, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "blob_downscale", &o.blob_downscale, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "open_px", &o.open_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "close_px", &o.close_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_area_px", &o.min_area_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "merge_gap_px", &o.merge_gap_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "split_ratio", &o.split_ratio, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "split_min_px", &o.split_min_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "init_frames", &o.init_frames, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "foreground_rate", &o.foreground_rate, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_foreground", &o.max_foreground, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "shadow_tau", &o.shadow_tau, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "split_width_m", &o.split_width_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_vehicle_width_m", &o.min_vehicle_width_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "split_dip", &o.split_dip, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "long_vehicle_m", &o.long_vehicle_m, where));
  if (auto it = params.find("ground_homography"); it != params.end() && !it->is_null()) {
    const nlohmann::json& h = *it;
    bool ok = h.is_array() && h.size() == 3;
    cv::Matx33d m;
    for (size_t r = 0; ok && r < 3; ++r) {
      ok = h[r].is_array() && h[r].size() == 3;
      for (size_t c = 0; ok && c < 3; ++c) {
        ok = h[r][c].is_number();
        if (ok) m(static_cast<int>(r), static_cast<int>(c)) = h[r][c].get<double>();
      }
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(where, ".ground_homography: expected 3 rows of 3 numbers"));
    o.ground_homography = m;
  }
  double warmup_s = UsToSeconds(o.warmup_us);
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "warmup_s", &warmup_s, where));
  o.warmup_us = SecondsToUs(warmup_s);
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

MotionDetector::MotionDetector(const MotionOptions& options) : options_(options) {}

void MotionDetector::Reset(const cv::Size& frame_size) {
  frame_size_ = frame_size;
  process_size_ = frame_size;
  if (options_.process_width > 0 && frame_size.width > options_.process_width) {
    // An integer factor keeps the area-averaging resize on its fast path (768 -> 256, 1280 -> 320, 1920 -> 320).
    int factor = (frame_size.width + options_.process_width - 1) / options_.process_width;
    process_size_.width = std::max(1, frame_size.width / factor);
    process_size_.height = std::max(1, frame_size.height / factor);
  }
  blob_scale_ = 1.0 / options_.blob_downscale;
  px_scale_ = process_size_.width * blob_scale_ / kReferenceWidth;  // pixel options apply to the blob image
  if (options_.ground_homography) {
    // Blob-mask pixels -> frame pixels (the cell's top-left corner scaled) -> ground.
    double to_frame = static_cast<double>(frame_size.width) / (process_size_.width * blob_scale_);
    blob_to_ground_ = *options_.ground_homography * cv::Matx33d(to_frame, 0, 0, 0, to_frame, 0, 0, 0, 1);
    // Pixels below the horizon share the sign of w at the bottom centre of the frame.
    cv::Vec3d w = *options_.ground_homography * cv::Vec3d(frame_size.width / 2.0, frame_size.height - 1.0, 1.0);
    horizon_sign_ = w[2] < 0 ? -1.0 : 1.0;
  }
  open_kernel_ = Kernel(options_.open_px, px_scale_);
  close_kernel_ = Kernel(options_.close_px, px_scale_);
  // `history` only matters for the automatic rate used during warm-up; afterwards the rate comes from time.
  mog2_.reset();
  gaussian_.reset();
  if (options_.model == "mog2") {
    mog2_ = cv::createBackgroundSubtractorMOG2(/*history=*/500, options_.var_threshold, options_.shadows);
    mog2_->setShadowValue(kShadowValue);
  } else {
    GaussianBackgroundOptions g;
    g.var_threshold = static_cast<float>(options_.var_threshold);
    g.shadows = options_.shadows;
    g.foreground_rate = static_cast<float>(options_.foreground_rate);
    g.shadow_tau = static_cast<float>(options_.shadow_tau);
    gaussian_ = std::make_unique<GaussianBackground>(g);
  }
  frames_seen_ = 0;
  warmup_frames_.clear();
  warmup_stride_ = 1;
  warmup_count_ = 0;
  glitch_since_us_ = -1;
  started_ = false;
  warming_up_ = true;
}

double MotionDetector::LearningRate(TimeUs time_us) const {
  TimeUs dt = std::clamp<TimeUs>(time_us - last_us_, 0, kUsPerSecond);
  double rate = std::min(1.0, UsToSeconds(dt) / options_.background_time_s);
  // During warm-up the model averages the frames seen so far (fast initial learning); MOG2 does that itself.
  if (warming_up_) return mog2_ ? -1.0 : std::max(rate, 1.0 / static_cast<double>(frames_seen_ + 1));
  return rate;
}

absl::StatusOr<std::vector<Box>> MotionDetector::DetectBoxes(const cv::Mat& image, TimeUs time_us) {
  classes_.clear();
  if (image.empty() || image.type() != CV_8UC3) {
    return absl::InvalidArgumentError("motion: expected a non-empty 8-bit BGR image");
  }
  if ((!mog2_ && !gaussian_) || image.size() != frame_size_ || (started_ && time_us < last_us_)) Reset(image.size());
  if (!started_) {
    started_ = true;
    first_us_ = time_us;
    last_us_ = time_us;
  }
  warming_up_ = time_us - first_us_ < options_.warmup_us;
  try {
    const cv::Mat* input = &image;
    if (process_size_ != frame_size_) {
      cv::resize(image, small_, process_size_, 0, 0, cv::INTER_AREA);
      input = &small_;
    }
    if (options_.grey) {
      cv::cvtColor(*input, grey_, cv::COLOR_BGR2GRAY);
      input = &grey_;
    }
    double rate = LearningRate(time_us);
    if (mog2_) {
      mog2_->apply(*input, mask_, rate);
    } else if (!gaussian_->Initialised()) {
      // Warm-up: keep every warmup_stride_-th frame (at most 2 x init_frames + 1: when full, every other one is
      // dropped and the stride doubles) and start the model from their median when the warm-up ends.
      const uchar* this_frame = nullptr;  // this frame's copy, when kept
      if (warmup_count_++ % warmup_stride_ == 0) {
        warmup_frames_.push_back(input->clone());
        this_frame = warmup_frames_.back().data;
        if (static_cast<int>(warmup_frames_.size()) > 2 * options_.init_frames + 1) {
          std::vector<cv::Mat> kept;
          for (size_t i = 0; i < warmup_frames_.size(); i += 2) kept.push_back(warmup_frames_[i]);
          warmup_frames_ = std::move(kept);
          warmup_stride_ *= 2;
        }
      }
      if (warming_up_) {
        ++frames_seen_;
        last_us_ = time_us;
        return std::vector<Box>{};
      }
      // The frame that ends the warm-up is always among those of the median.
      if (this_frame == nullptr || warmup_frames_.back().data != this_frame) warmup_frames_.push_back(input->clone());
      std::vector<cv::Mat> chosen;
      const size_t k = std::min<size_t>(warmup_frames_.size(), static_cast<size_t>(options_.init_frames));
      for (size_t i = 0; i < k; ++i) {
        // Evenly spread, the last one included.
        size_t j = k == 1 ? warmup_frames_.size() - 1 : i * (warmup_frames_.size() - 1) / (k - 1);
        chosen.push_back(warmup_frames_[j]);
      }
      gaussian_->Initialise(chosen);
      warmup_frames_.clear();
      gaussian_->Apply(*input, static_cast<float>(rate), &mask_);
    } else {
      gaussian_->Apply(*input, static_cast<float>(rate), &mask_);
    }
    ++frames_seen_;
    last_us_ = time_us;
    if (warming_up_) return std::vector<Box>{};
    // Shadows (127) are background.
    cv::threshold(mask_, blob_mask_, kShadowValue + 1, 255, cv::THRESH_BINARY);
    if (options_.max_foreground < 1.0) {
      if (cv::countNonZero(blob_mask_) > options_.max_foreground * static_cast<double>(mask_.total())) {
        if (glitch_since_us_ < 0) glitch_since_us_ = time_us;
        // A lasting change of the whole scene: learn it again from scratch (the next frame starts a warm-up).
        if (time_us - glitch_since_us_ >= kUsPerSecond) {
          Reset(frame_size_);
        }
        blob_mask_.setTo(0);
        return std::vector<Box>{};
      }
      glitch_since_us_ = -1;
    }
    CleanMask();
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("motion: OpenCV error: ", e.what()));
  }
  std::vector<Box> boxes = Blobs();
  classes_.assign(boxes.size(), ObjectClass::kUnknown);
  if (options_.ground_homography && options_.long_vehicle_m > 0) {
    for (size_t i = 0; i < boxes.size(); ++i) classes_[i] = LengthClass(boxes[i]);
  }
  float to_frame = static_cast<float>(frame_size_.width) / static_cast<float>(blob_mask_.cols);
  for (Box& b : boxes) b = ClipBox(b.Scaled(to_frame), frame_size_.width, frame_size_.height);
  return boxes;
}

void MotionDetector::CleanMask() {
  if (options_.blob_downscale == 2) {
    cv::Size half((blob_mask_.cols + 1) / 2, (blob_mask_.rows + 1) / 2);
    cv::resize(blob_mask_, blob_mask_, half, 0, 0, cv::INTER_AREA);
    cv::threshold(blob_mask_, blob_mask_, 100, 255, cv::THRESH_BINARY);  // at least half of the 2x2 cell
  }
  if (!open_kernel_.empty()) cv::morphologyEx(blob_mask_, blob_mask_, cv::MORPH_OPEN, open_kernel_);
  if (!close_kernel_.empty()) cv::morphologyEx(blob_mask_, blob_mask_, cv::MORPH_CLOSE, close_kernel_);
}

std::vector<Box> MotionDetector::Blobs() {
  int n = cv::connectedComponentsWithStats(blob_mask_, labels_, stats_, centroids_, 8, CV_32S);
  const cv::Mat& stats = stats_;
  double min_area = options_.min_area_px * px_scale_ * px_scale_;
  std::vector<Box> boxes;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area) continue;
    boxes.push_back({static_cast<float>(stats.at<int>(i, cv::CC_STAT_LEFT)),
                     static_cast<float>(stats.at<int>(i, cv::CC_STAT_TOP)),
                     static_cast<float>(stats.at<int>(i, cv::CC_STAT_WIDTH)),
                     static_cast<float>(stats.at<int>(i, cv::CC_STAT_HEIGHT))});
  }
  if (options_.merge_gap_px >= 0) boxes = MergeNearbyBoxes(std::move(boxes), options_.merge_gap_px * px_scale_);
  if (options_.split_ratio > 0) boxes = SplitBoxes(boxes, min_area);
  if (options_.ground_homography && options_.split_width_m > 0) boxes = SplitWide(boxes);
  return boxes;
}

std::optional<cv::Point2d> MotionDetector::BlobToGround(double x, double y) const {
  cv::Vec3d g = blob_to_ground_ * cv::Vec3d(x, y, 1.0);
  if (g[2] * horizon_sign_ <= 1e-12 * (std::abs(g[0]) + std::abs(g[1]) + 1.0)) return std::nullopt;
  return cv::Point2d(g[0] / g[2], g[1] / g[2]);
}

double MotionDetector::GroundWidth(int x0, int x1, int y) const {
  std::optional<cv::Point2d> a = BlobToGround(x0, y + 1.0);
  std::optional<cv::Point2d> b = BlobToGround(x1, y + 1.0);
  if (!a || !b) return std::numeric_limits<double>::infinity();
  return cv::norm(*a - *b);
}

std::vector<Box> MotionDetector::SplitWide(const std::vector<Box>& boxes) const {
  std::vector<Box> out;
  out.reserve(boxes.size());
  for (const Box& b : boxes) {
    SplitWideInto(cv::Rect(static_cast<int>(b.x), static_cast<int>(b.y), static_cast<int>(b.w), static_cast<int>(b.h)),
                  3, &out);
  }
  return out;
}

void MotionDetector::SplitWideInto(const cv::Rect& r, int depth, std::vector<Box>* out) const {
  auto emit = [out](const cv::Rect& q) {
    out->push_back(
        {static_cast<float>(q.x), static_cast<float>(q.y), static_cast<float>(q.width), static_cast<float>(q.height)});
  };
  const int bottom = r.y + r.height - 1;
  if (depth == 0 || r.width < 4 || GroundWidth(r.x, r.x + r.width, bottom) <= options_.split_width_m) {
    emit(r);
    return;
  }
  // Foreground pixels per column of the box.
  std::vector<int> column(static_cast<size_t>(r.width), 0);
  for (int y = r.y; y < r.y + r.height; ++y) {
    const uchar* row = blob_mask_.ptr<uchar>(y);
    for (int x = 0; x < r.width; ++x) column[static_cast<size_t>(x)] += row[r.x + x] != 0 ? 1 : 0;
  }
  // Running maxima from the left and from the right, to compare a column with the tallest column on each side.
  std::vector<int> left_max(column.size()), right_max(column.size());
  for (size_t i = 0; i < column.size(); ++i) left_max[i] = std::max(column[i], i > 0 ? left_max[i - 1] : 0);
  for (size_t i = column.size(); i-- > 0;) {
    right_max[i] = std::max(column[i], i + 1 < column.size() ? right_max[i + 1] : 0);
  }
  int best = -1;
  double best_ratio = options_.split_dip;
  for (int c = 1; c + 1 < r.width; ++c) {
    const auto i = static_cast<size_t>(c);
    const int side = std::min(left_max[i - 1], right_max[i + 1]);
    if (side <= 0) continue;
    const double ratio = static_cast<double>(column[i]) / side;
    if (ratio > best_ratio) continue;
    if (GroundWidth(r.x, r.x + c, bottom) < options_.min_vehicle_width_m ||
        GroundWidth(r.x + c + 1, r.x + r.width, bottom) < options_.min_vehicle_width_m) {
      continue;
    }
    if (best < 0 || ratio < best_ratio) {
      best = c;
      best_ratio = ratio;
    }
  }
  if (best < 0) {
    emit(r);
    return;
  }
  // The middle of the run of equally weak columns (a bridge of even height is cut in its middle).
  const int weakest = column[static_cast<size_t>(best)];
  int run_end = best;
  while (run_end + 2 < r.width && column[static_cast<size_t>(run_end) + 1] == weakest) ++run_end;
  best = (best + run_end) / 2;
  // Each side tightened to its foreground rows.
  for (const cv::Rect& side :
       {cv::Rect(r.x, r.y, best, r.height), cv::Rect(r.x + best + 1, r.y, r.width - best - 1, r.height)}) {
    cv::Rect tight = cv::boundingRect(blob_mask_(side));
    if (tight.area() == 0) continue;
    tight.x += side.x;
    tight.y += side.y;
    SplitWideInto(tight, depth - 1, out);
  }
}

ObjectClass MotionDetector::LengthClass(const Box& b) const {
  const double cx = b.x + b.w / 2.0;
  std::optional<cv::Point2d> bottom = BlobToGround(cx, b.y + b.h);
  std::optional<cv::Point2d> top = BlobToGround(cx, b.y);
  if (!bottom) return ObjectClass::kUnknown;
  if (!top || cv::norm(*top - *bottom) >= options_.long_vehicle_m) return ObjectClass::kTruck;
  return ObjectClass::kCar;
}

std::vector<Box> MotionDetector::SplitBoxes(const std::vector<Box>& boxes, double min_area) const {
  StepSplitOptions o;
  o.ratio = options_.split_ratio;
  o.min_part_px = std::max(1, static_cast<int>(std::lround(options_.split_min_px * px_scale_)));
  o.min_area_px = static_cast<int>(std::ceil(min_area));
  std::vector<Box> out;
  for (const Box& b : boxes) {
    cv::Rect r(static_cast<int>(b.x), static_cast<int>(b.y), static_cast<int>(b.w), static_cast<int>(b.h));
    for (const cv::Rect& part : SplitAtSteps(blob_mask_, r, o)) {
      out.push_back({static_cast<float>(part.x), static_cast<float>(part.y), static_cast<float>(part.width),
                     static_cast<float>(part.height)});
    }
  }
  return out;
}

absl::StatusOr<Detections> MotionDetector::Detect(const Frame& frame) {
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Box> boxes, DetectBoxes(frame.image, frame.pts_us));
  Detections out;
  out.reserve(boxes.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    out.push_back({boxes[i], 1.f, i < classes_.size() ? classes_[i] : ObjectClass::kUnknown, -1});
  }
  return out;
}

}  // namespace didban::detect
