#include "detect/aerial_motion_detector.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "core/params.h"

namespace didban::detect {
namespace {

cv::Mat Kernel(int px) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(px, px)); }

// Calls f(x) for x in [0, n): in blocks of 16 with a constant trip count, which the compiler vectorises at -O2,
// then the rest.
template <typename F>
inline void ForEachInRow(int n, F&& f) {
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    for (int k = 0; k < 16; ++k) f(x + k);
  }
  for (; x < n; ++x) f(x);
}

}  // namespace

absl::Status AerialMotionOptions::Validate() const {
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("aerial detector: ", what));
  };
  if (!(motion_scale > 0 && motion_scale <= 1))
    return bad(absl::StrCat("motion_scale must be in (0, 1], got ", motion_scale));
  if (max_corners < 10) return bad(absl::StrCat("max_corners must be >= 10, got ", max_corners));
  if (!(corner_quality > 0 && corner_quality < 1)) return bad("corner_quality must be in (0, 1)");
  if (corner_min_distance < 1) return bad("corner_min_distance must be >= 1");
  if (ransac_threshold_px <= 0) return bad("ransac_threshold_px must be > 0");
  if (min_inliers < 4) return bad("min_inliers must be >= 4");
  if (blur_sigma_px < 0) return bad("blur_sigma_px must be >= 0");
  if (!(bg_learning_rate > 0 && bg_learning_rate <= 1)) return bad("bg_learning_rate must be in (0, 1]");
  if (!(fg_learning_rate >= 0 && fg_learning_rate <= bg_learning_rate)) {
    return bad("fg_learning_rate must be in [0, bg_learning_rate]");
  }
  if (!(unconfirmed_learning_rate >= fg_learning_rate && unconfirmed_learning_rate <= bg_learning_rate)) {
    return bad("unconfirmed_learning_rate must be in [fg_learning_rate, bg_learning_rate]");
  }
  if (warmup_frames < 1 || warmup_frames > 250) return bad("warmup_frames must be in [1, 250]");
  if (diff_threshold < 1 || diff_threshold > 254) return bad("diff_threshold must be in [1, 254]");
  if (confirm_gap_frames < 1 || confirm_gap_frames > 50) return bad("confirm_gap_frames must be in [1, 50]");
  if (confirm_threshold < 1 || confirm_threshold > 254) return bad("confirm_threshold must be in [1, 254]");
  if (!(confirm_fraction >= 0 && confirm_fraction <= 1)) return bad("confirm_fraction must be in [0, 1]");
  if (close_px < 0 || open_px < 0) return bad("close_px and open_px must be >= 0");
  if (min_area_px < 0 || max_area_px < min_area_px) return bad("need 0 <= min_area_px <= max_area_px");
  if (min_side_px < 0 || max_side_px < min_side_px) return bad("need 0 <= min_side_px <= max_side_px");
  if (!(min_object_px >= 0)) return bad(absl::StrCat("min_object_px must be >= 0, got ", min_object_px));
  if (!(analysis_object_px >= 1)) return bad(absl::StrCat("analysis_object_px must be >= 1, got ", analysis_object_px));
  if (max_analysis_step < 1 || max_analysis_step > 8) return bad("max_analysis_step must be in [1, 8]");
  return absl::OkStatus();
}

absl::StatusOr<AerialMotionOptions> ParseAerialMotionOptions(const nlohmann::json& params) {
  AerialMotionOptions o;
  const std::string w = "aerial";
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(
      params, {"motion_scale",        "max_corners",        "corner_quality",    "corner_min_distance",
               "ransac_threshold_px", "min_inliers",        "blur_sigma_px",     "bg_learning_rate",
               "fg_learning_rate",    "warmup_frames",      "diff_threshold",    "confirm_gap_frames",
               "confirm_threshold",   "confirm_fraction",   "close_px",          "open_px",
               "min_area_px",         "max_area_px",        "min_side_px",       "max_side_px",
               "min_object_px",       "analysis_object_px", "max_analysis_step", "unconfirmed_learning_rate"},
      w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "motion_scale", &o.motion_scale, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_corners", &o.max_corners, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "corner_quality", &o.corner_quality, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "corner_min_distance", &o.corner_min_distance, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "ransac_threshold_px", &o.ransac_threshold_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_inliers", &o.min_inliers, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "blur_sigma_px", &o.blur_sigma_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "bg_learning_rate", &o.bg_learning_rate, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "fg_learning_rate", &o.fg_learning_rate, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "unconfirmed_learning_rate", &o.unconfirmed_learning_rate, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "warmup_frames", &o.warmup_frames, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "diff_threshold", &o.diff_threshold, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "confirm_gap_frames", &o.confirm_gap_frames, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "confirm_threshold", &o.confirm_threshold, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "confirm_fraction", &o.confirm_fraction, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "close_px", &o.close_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "open_px", &o.open_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_area_px", &o.min_area_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_area_px", &o.max_area_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_side_px", &o.min_side_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_side_px", &o.max_side_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_object_px", &o.min_object_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "analysis_object_px", &o.analysis_object_px, w));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_analysis_step", &o.max_analysis_step, w));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

int AerialMotionOptions::AnalysisStep() const {
  if (!(min_object_px > 0) || !(analysis_object_px > 0)) return 1;
  const double k = std::floor(min_object_px / analysis_object_px);
  return static_cast<int>(std::clamp(k, 1.0, static_cast<double>(std::max(1, max_analysis_step))));
}

AerialMotionDetector::AerialMotionDetector(AerialMotionOptions options)
    : options_(options),
      step_(options.AnalysisStep()),
      grays_(static_cast<size_t>(std::max(1, options.confirm_gap_frames)) + 1),
      to_prev_(static_cast<size_t>(std::max({1, options.confirm_gap_frames, options.warmup_frames})) + 1) {
  if (options_.open_px > 0) open_kernel_ = Kernel(options_.open_px);
  if (options_.close_px > 0) close_kernel_ = Kernel(options_.close_px);
}

absl::StatusOr<std::unique_ptr<AerialMotionDetector>> AerialMotionDetector::Create(const AerialMotionOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  return std::make_unique<AerialMotionDetector>(options);
}

void AerialMotionDetector::Reset() {
  prev_corners_.clear();
  frames_ = 0;
}

bool AerialMotionDetector::EstimateEgoMotion(cv::Matx33d* cur_to_prev) {
  last_inliers_ = 0;
  if (prev_corners_.size() < static_cast<size_t>(options_.min_inliers)) return false;
  cv::calcOpticalFlowPyrLK(prev_small_, small_, prev_corners_, cur_corners_, status_, err_, cv::Size(21, 21), 3);
  src_.clear();
  dst_.clear();
  for (size_t i = 0; i < status_.size(); ++i) {
    if (status_[i] == 0) continue;
    src_.push_back(cur_corners_[i]);
    dst_.push_back(prev_corners_[i]);
  }
  if (src_.size() < static_cast<size_t>(options_.min_inliers)) return false;
  cv::Mat h = cv::findHomography(src_, dst_, cv::RANSAC, options_.ransac_threshold_px, inlier_flags_, 2000, 0.995);
  if (h.empty()) return false;
  last_inliers_ = cv::countNonZero(inlier_flags_);
  if (last_inliers_ < options_.min_inliers) return false;
  tracked_.clear();
  for (size_t i = 0; i < inlier_flags_.size(); ++i) {
    if (inlier_flags_[i] != 0) tracked_.push_back(src_[i]);
  }
  const double s = options_.motion_scale;
  const cv::Matx33d scale(s, 0, 0, 0, s, 0, 0, 0, 1);
  const cv::Matx33d unscale(1 / s, 0, 0, 0, 1 / s, 0, 0, 0, 1);
  *cur_to_prev = unscale * cv::Matx33d(h) * scale;
  return true;
}

cv::Matx33d AerialMotionDetector::ChainBack(int k) const {
  // to_prev_ of frame i (0-based since the restart) is at i % size; the current frame is frames_ - 1.
  cv::Matx33d h = cv::Matx33d::eye();
  for (int j = 0; j < k; ++j) h = to_prev_[static_cast<size_t>(frames_ - 1 - j) % to_prev_.size()] * h;
  return h;
}

bool AerialMotionDetector::ChainToGap(cv::Matx33d* cur_to_old, const cv::Mat** old) const {
  const int gap = options_.confirm_gap_frames;
  if (frames_ < gap + 1) return false;
  *cur_to_old = ChainBack(gap);
  *old = &grays_[static_cast<size_t>(frames_ - 1 - gap) % grays_.size()];
  return true;
}

bool AerialMotionDetector::Blobs(const cv::Mat& gray, Detections* out) {
  cv::Matx33d cur_to_old;
  const cv::Mat* old = nullptr;
  if (!ChainToGap(&cur_to_old, &old)) return false;
  const int n = cv::connectedComponentsWithStats(fg_, labels_, stats_, centroids_, 8, CV_32S);
  const cv::Rect frame_rect(0, 0, fg_.cols, fg_.rows);
  const cv::Mat k3 = cv::Mat::ones(3, 3, CV_8U);
  const int thr = options_.confirm_threshold;
  bool any = false;
  for (int i = 1; i < n; ++i) {
    const int area = stats_.at<int>(i, cv::CC_STAT_AREA);
    const cv::Rect box(stats_.at<int>(i, cv::CC_STAT_LEFT), stats_.at<int>(i, cv::CC_STAT_TOP),
                       stats_.at<int>(i, cv::CC_STAT_WIDTH), stats_.at<int>(i, cv::CC_STAT_HEIGHT));
    if (area < options_.min_area_px || area > options_.max_area_px) continue;
    if (std::min(box.width, box.height) < options_.min_side_px ||
        std::max(box.width, box.height) > options_.max_side_px) {
      continue;
    }
    // Motion check inside the blob only: the frame `gap` back, warped into this region; a blob pixel moved when it
    // lies more than confirm_threshold outside the 3x3 range of that frame there.
    const cv::Rect roi = (box + cv::Size(4, 4) - cv::Point(2, 2)) & frame_rect;
    const cv::Matx33d shift(1, 0, roi.x, 0, 1, roi.y, 0, 0, 1);
    cv::warpPerspective(*old, roi_warped_, cur_to_old * shift, roi.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                        cv::BORDER_REPLICATE);
    cv::dilate(roi_warped_, roi_high_, k3);
    cv::erode(roi_warped_, roi_low_, k3);
    int moving = 0;
    for (int y = 0; y < roi.height; ++y) {
      const uchar* g = gray.ptr<uchar>(roi.y + y) + roi.x;
      const int* lab = labels_.ptr<int>(roi.y + y) + roi.x;
      const uchar* hi = roi_high_.ptr<uchar>(y);
      const uchar* lo = roi_low_.ptr<uchar>(y);
      for (int x = 0; x < roi.width; ++x) {
        if (lab[x] == i && (g[x] - hi[x] > thr || lo[x] - g[x] > thr)) ++moving;
      }
    }
    const double fraction = static_cast<double>(moving) / area;
    if (fraction < options_.confirm_fraction) continue;
    for (int y = box.y; y < box.y + box.height; ++y) {
      const int* lab = labels_.ptr<int>(y);
      uchar* obj = objects_.ptr<uchar>(y);
      for (int x = box.x; x < box.x + box.width; ++x) {
        if (lab[x] == i) obj[x] = 255;
      }
    }
    any = true;
    Detection d;
    d.box = {static_cast<float>(box.x), static_cast<float>(box.y), static_cast<float>(box.width),
             static_cast<float>(box.height)};
    d.score = static_cast<float>(std::min(1.0, fraction));
    d.object_class = ObjectClass::kUnknown;
    out->push_back(d);
  }
  return any;
}

absl::StatusOr<Detections> AerialMotionDetector::Detect(const Frame& frame) {
  if (frame.image.empty())
    return absl::InvalidArgumentError(absl::StrCat("aerial detector: empty frame ", frame.index));
  if (frame.image.depth() != CV_8U) {
    return absl::InvalidArgumentError(absl::StrCat("aerial detector: frame ", frame.index, " is not 8-bit"));
  }
  const cv::Mat* full = &frame.image;
  if (frame.image.channels() == 3) {
    cv::cvtColor(frame.image, gray_full_, cv::COLOR_BGR2GRAY);
    full = &gray_full_;
  } else if (frame.image.channels() != 1) {
    return absl::InvalidArgumentError("aerial detector: expected a BGR or grey frame");
  }
  // The analysis image (frame / step_) and the ego-motion image (frame * motion_scale).
  const cv::Mat* analysis = full;
  if (step_ > 1) {
    cv::resize(*full, analysis_, cv::Size(full->cols / step_, full->rows / step_), 0, 0, cv::INTER_AREA);
    analysis = &analysis_;
  }
  if (options_.motion_scale < 1) {
    cv::resize(*full, small_, cv::Size(), options_.motion_scale, options_.motion_scale, cv::INTER_AREA);
  } else {
    full->copyTo(small_);
  }
  const cv::Size size = analysis->size();
  // Frame pixels -> analysis pixels.
  const double ax = static_cast<double>(size.width) / full->cols, ay = static_cast<double>(size.height) / full->rows;
  const cv::Matx33d to_analysis(ax, 0, 0, 0, ay, 0, 0, 0, 1);
  const cv::Matx33d from_analysis(1 / ax, 0, 0, 0, 1 / ay, 0, 0, 0, 1);

  cv::Matx33d cur_to_prev = cv::Matx33d::eye();
  const bool started = !prev_small_.empty() && prev_small_.size() == small_.size() && frames_ > 0 &&
                       grays_[static_cast<size_t>(frames_ - 1) % grays_.size()].size() == size;
  last_valid_ = started && EstimateEgoMotion(&cur_to_prev);
  last_h_ = last_valid_ ? cur_to_prev : cv::Matx33d::eye();
  const cv::Matx33d h = to_analysis * cur_to_prev * from_analysis;  // current -> previous, analysis pixels

  // The current frame, blurred, into the history rings (over the oldest slot, whose buffer is reused).
  if (!last_valid_) Reset();
  cv::Mat& gray = grays_[static_cast<size_t>(frames_) % grays_.size()];
  to_prev_[static_cast<size_t>(frames_) % to_prev_.size()] = last_valid_ ? h : cv::Matx33d::eye();
  ++frames_;
  if (options_.blur_sigma_px > 0) {
    cv::GaussianBlur(*analysis, gray, cv::Size(0, 0), options_.blur_sigma_px);
  } else {
    analysis->copyTo(gray);
  }

  Detections out;
  if (!last_valid_) {
    gray.convertTo(background_, CV_32F);
  } else {
    // Background into the current frame. Pixels the previous frame did not see get a negative value from the
    // border and start from the current frame.
    cv::warpPerspective(background_, warped_background_, h, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                        cv::BORDER_CONSTANT, -1e4);
    std::swap(background_, warped_background_);
    background8_.create(size, CV_8U);
    for (int y = 0; y < size.height; ++y) {
      const uchar* g = gray.ptr<uchar>(y);
      float* bg = background_.ptr<float>(y);
      uchar* bg8 = background8_.ptr<uchar>(y);
      ForEachInRow(size.width, [&](int x) {
        const float b = bg[x] < 0 ? static_cast<float>(g[x]) : bg[x];
        bg[x] = b;
        const float rounded = b + 0.5f;  // b is in [0, 255]: truncation rounds
        bg8[x] = static_cast<uchar>(static_cast<int>(rounded));
      });
    }
    // Where the ground has been in view for warmup_frames: inside the frame warmup_frames back, mapped here.
    seen_.create(size, CV_8U);
    seen_.setTo(0);
    const int warm = options_.warmup_frames;
    if (frames_ > warm) {
      const cv::Matx33d old_to_cur = ChainBack(warm).inv();
      std::vector<cv::Point> quad;
      for (const cv::Point2d& c : {cv::Point2d(0, 0), cv::Point2d(size.width - 1, 0),
                                   cv::Point2d(size.width - 1, size.height - 1), cv::Point2d(0, size.height - 1)}) {
        const cv::Vec3d p = old_to_cur * cv::Vec3d(c.x, c.y, 1);
        if (p[2] <= 0) break;
        quad.emplace_back(cvRound(p[0] / p[2]), cvRound(p[1] / p[2]));
      }
      if (quad.size() == 4) cv::fillConvexPoly(seen_, quad, cv::Scalar(255));
    }
    // Foreground: differences beyond the background's 3x3 range (tolerates a pixel of misregistration on strong
    // edges), where the ground has been seen long enough.
    const cv::Mat k3 = cv::Mat::ones(3, 3, CV_8U);
    cv::dilate(background8_, high_, k3);
    cv::erode(background8_, low_, k3);
    fg_.create(size, CV_8U);
    const int thr = options_.diff_threshold;
    for (int y = 0; y < size.height; ++y) {
      const uchar* g = gray.ptr<uchar>(y);
      const uchar* hi = high_.ptr<uchar>(y);
      const uchar* lo = low_.ptr<uchar>(y);
      const uchar* seen = seen_.ptr<uchar>(y);
      uchar* fg = fg_.ptr<uchar>(y);
      ForEachInRow(size.width, [&](int x) {
        const int out_of_range = static_cast<int>(g[x] - hi[x] > thr) | static_cast<int>(lo[x] - g[x] > thr);
        fg[x] = static_cast<uchar>(-out_of_range) & seen[x];
      });
    }
    if (options_.open_px > 0) cv::morphologyEx(fg_, fg_, cv::MORPH_OPEN, open_kernel_);
    if (options_.close_px > 0) cv::morphologyEx(fg_, fg_, cv::MORPH_CLOSE, close_kernel_);

    objects_.create(size, CV_8U);
    objects_.setTo(0);
    const bool any = Blobs(gray, &out);
    // Learn the background everywhere but under moving objects (unconfirmed foreground, such as the ghost of an
    // object that was in the first frame, is learnt away at the normal rate).
    const cv::Mat* under = &objects_;
    if (any && options_.close_px > 0) {
      cv::dilate(objects_, grown_, close_kernel_);
      under = &grown_;
    }
    const float a = static_cast<float>(options_.bg_learning_rate);
    const float af = static_cast<float>(options_.fg_learning_rate);
    const float au = static_cast<float>(options_.unconfirmed_learning_rate);
    const bool slow_fg = au != a;
    for (int y = 0; y < size.height; ++y) {
      const uchar* g = gray.ptr<uchar>(y);
      const uchar* obj = any ? under->ptr<uchar>(y) : nullptr;
      const uchar* fg = fg_.ptr<uchar>(y);
      float* bg = background_.ptr<float>(y);
      if (obj == nullptr && !slow_fg) {
        ForEachInRow(size.width, [&](int x) { bg[x] += a * (static_cast<float>(g[x]) - bg[x]); });
      } else if (obj == nullptr) {
        ForEachInRow(size.width, [&](int x) { bg[x] += (fg[x] != 0 ? au : a) * (static_cast<float>(g[x]) - bg[x]); });
      } else {
        ForEachInRow(size.width, [&](int x) {
          const float rate = obj[x] != 0 ? af : (fg[x] != 0 ? au : a);
          bg[x] += rate * (static_cast<float>(g[x]) - bg[x]);
        });
      }
    }
  }
  // Boxes in frame pixels.
  for (Detection& d : out) {
    d.box = {static_cast<float>(d.box.x / ax), static_cast<float>(d.box.y / ay), static_cast<float>(d.box.w / ax),
             static_cast<float>(d.box.h / ay)};
  }

  std::swap(prev_small_, small_);
  // Keep following the inlier corners; find new ones when fewer than half of those found last time are left (a
  // low-texture ground may give far fewer than max_corners: comparing with max_corners would search every frame).
  const size_t keep = std::max(detected_corners_ / 2, static_cast<size_t>(2 * options_.min_inliers));
  if (last_valid_ && tracked_.size() >= keep) {
    std::swap(prev_corners_, tracked_);
  } else {
    cv::goodFeaturesToTrack(prev_small_, prev_corners_, options_.max_corners, options_.corner_quality,
                            options_.corner_min_distance);
    detected_corners_ = prev_corners_.size();
  }
  return out;
}

void RegisterAerialDetector(Registry<Detector>& registry) {
  registry.Register("aerial", [](const nlohmann::json& params) -> absl::StatusOr<std::unique_ptr<Detector>> {
    DIDBAN_ASSIGN_OR_RETURN(AerialMotionOptions options, ParseAerialMotionOptions(params));
    return std::unique_ptr<Detector>(std::make_unique<AerialMotionDetector>(options));
  });
}

}  // namespace didban::detect
