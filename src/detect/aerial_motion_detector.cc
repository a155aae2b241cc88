#include "detect/aerial_motion_detector.h"

#include <algorithm>
#include <utility>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "core/params.h"

namespace didban::detect {
namespace {

cv::Mat Kernel(int px) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(px, px)); }

// How far each pixel of `image` lies outside the 3x3 neighbourhood range of `reference` (same type), >= 0.
cv::Mat RangeDiff(const cv::Mat& image, const cv::Mat& reference) {
  cv::Mat hi, lo, above, below, out;
  const cv::Mat k = cv::Mat::ones(3, 3, CV_8U);
  cv::dilate(reference, hi, k);
  cv::erode(reference, lo, k);
  cv::subtract(image, hi, above);
  cv::subtract(lo, image, below);
  cv::max(above, below, out);
  return out;
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
  if (warmup_frames < 1 || warmup_frames > 250) return bad("warmup_frames must be in [1, 250]");
  if (diff_threshold < 1 || diff_threshold > 254) return bad("diff_threshold must be in [1, 254]");
  if (confirm_gap_frames < 1 || confirm_gap_frames > 50) return bad("confirm_gap_frames must be in [1, 50]");
  if (confirm_threshold < 1 || confirm_threshold > 254) return bad("confirm_threshold must be in [1, 254]");
  if (!(confirm_fraction >= 0 && confirm_fraction <= 1)) return bad("confirm_fraction must be in [0, 1]");
  if (close_px < 0 || open_px < 0) return bad("close_px and open_px must be >= 0");
  if (min_area_px < 0 || max_area_px < min_area_px) return bad("need 0 <= min_area_px <= max_area_px");
  if (min_side_px < 0 || max_side_px < min_side_px) return bad("need 0 <= min_side_px <= max_side_px");
  return absl::OkStatus();
}

absl::StatusOr<AerialMotionOptions> ParseAerialMotionOptions(const nlohmann::json& params) {
  AerialMotionOptions o;
  const std::string w = "aerial";
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(
      params,
      {"motion_scale",   "max_corners",        "corner_quality",    "corner_min_distance", "ransac_threshold_px",
       "min_inliers",    "blur_sigma_px",      "bg_learning_rate",  "fg_learning_rate",    "warmup_frames",
       "diff_threshold", "confirm_gap_frames", "confirm_threshold", "confirm_fraction",    "close_px",
       "open_px",        "min_area_px",        "max_area_px",       "min_side_px",         "max_side_px"},
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
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

AerialMotionDetector::AerialMotionDetector(AerialMotionOptions options) : options_(options) {}

absl::StatusOr<std::unique_ptr<AerialMotionDetector>> AerialMotionDetector::Create(const AerialMotionOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  return std::make_unique<AerialMotionDetector>(options);
}

void AerialMotionDetector::Reset() {
  prev_small_.release();
  prev_corners_.clear();
  background_.release();
  age_.release();
  history_.clear();
}

bool AerialMotionDetector::EstimateEgoMotion(const cv::Mat& small, cv::Matx33d* cur_to_prev) {
  last_inliers_ = 0;
  if (prev_corners_.size() < static_cast<size_t>(options_.min_inliers)) return false;
  std::vector<cv::Point2f> cur;
  std::vector<unsigned char> status;
  std::vector<float> err;
  cv::calcOpticalFlowPyrLK(prev_small_, small, prev_corners_, cur, status, err, cv::Size(21, 21), 3);
  std::vector<cv::Point2f> src, dst;
  for (size_t i = 0; i < status.size(); ++i) {
    if (status[i] == 0) continue;
    src.push_back(cur[i]);
    dst.push_back(prev_corners_[i]);
  }
  if (src.size() < static_cast<size_t>(options_.min_inliers)) return false;
  std::vector<unsigned char> inliers;
  cv::Mat h = cv::findHomography(src, dst, cv::RANSAC, options_.ransac_threshold_px, inliers, 2000, 0.995);
  if (h.empty()) return false;
  last_inliers_ = cv::countNonZero(inliers);
  if (last_inliers_ < options_.min_inliers) return false;
  tracked_.clear();
  for (size_t i = 0; i < inliers.size(); ++i) {
    if (inliers[i] != 0) tracked_.push_back(src[i]);
  }
  const double s = options_.motion_scale;
  const cv::Matx33d scale(s, 0, 0, 0, s, 0, 0, 0, 1);
  const cv::Matx33d unscale(1 / s, 0, 0, 0, 1 / s, 0, 0, 0, 1);
  *cur_to_prev = unscale * cv::Matx33d(h) * scale;
  return true;
}

bool AerialMotionDetector::ChainToGap(cv::Matx33d* cur_to_old, const cv::Mat** old) const {
  const size_t gap = static_cast<size_t>(options_.confirm_gap_frames);
  if (history_.size() < gap + 1) return false;
  // history_.back() is the current frame; chain current -> ... -> the frame `gap` back.
  cv::Matx33d h = cv::Matx33d::eye();
  for (size_t k = 0; k < gap; ++k) h = history_[history_.size() - 1 - k].to_prev * h;
  *cur_to_old = h;
  *old = &history_[history_.size() - 1 - gap].gray;
  return true;
}

Detections AerialMotionDetector::Blobs(const cv::Mat& fg, const cv::Mat& gray, cv::Mat* objects) const {
  cv::Matx33d cur_to_old;
  const cv::Mat* old = nullptr;
  if (!ChainToGap(&cur_to_old, &old)) return {};
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(fg, labels, stats, centroids, 8, CV_32S);
  const cv::Rect frame_rect(0, 0, fg.cols, fg.rows);
  Detections out;
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (area < options_.min_area_px || area > options_.max_area_px) continue;
    if (std::min(box.width, box.height) < options_.min_side_px ||
        std::max(box.width, box.height) > options_.max_side_px) {
      continue;
    }
    // Motion check inside the blob only: the frame `gap` back, warped into this region.
    const cv::Rect roi = (box + cv::Size(4, 4) - cv::Point(2, 2)) & frame_rect;
    const cv::Matx33d shift(1, 0, roi.x, 0, 1, roi.y, 0, 0, 1);
    cv::Mat warped;
    cv::warpPerspective(*old, warped, cur_to_old * shift, roi.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                        cv::BORDER_REPLICATE);
    cv::Mat g16, w16;
    gray(roi).convertTo(g16, CV_16S);
    warped.convertTo(w16, CV_16S);
    const cv::Mat moving = (RangeDiff(g16, w16) > options_.confirm_threshold) & (labels(roi) == i);
    const double fraction = static_cast<double>(cv::countNonZero(moving)) / area;
    if (fraction < options_.confirm_fraction) continue;
    (*objects)(box).setTo(255, labels(box) == i);
    Detection d;
    d.box = {static_cast<float>(box.x), static_cast<float>(box.y), static_cast<float>(box.width),
             static_cast<float>(box.height)};
    d.score = static_cast<float>(std::min(1.0, fraction));
    d.object_class = ObjectClass::kUnknown;
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<Detections> AerialMotionDetector::Detect(const Frame& frame) {
  if (frame.image.empty())
    return absl::InvalidArgumentError(absl::StrCat("aerial detector: empty frame ", frame.index));
  cv::Mat gray;
  if (frame.image.channels() == 3) {
    cv::cvtColor(frame.image, gray, cv::COLOR_BGR2GRAY);
  } else if (frame.image.channels() == 1) {
    gray = frame.image.clone();
  } else {
    return absl::InvalidArgumentError("aerial detector: expected a BGR or grey frame");
  }
  cv::Mat small;
  if (options_.motion_scale < 1) {
    cv::resize(gray, small, cv::Size(), options_.motion_scale, options_.motion_scale, cv::INTER_AREA);
  } else {
    small = gray;
  }
  if (options_.blur_sigma_px > 0) cv::GaussianBlur(gray, gray, cv::Size(0, 0), options_.blur_sigma_px);

  cv::Matx33d cur_to_prev = cv::Matx33d::eye();
  const bool started = !prev_small_.empty() && (prev_small_.size() == small.size());
  last_valid_ = started && EstimateEgoMotion(small, &cur_to_prev);
  last_h_ = last_valid_ ? cur_to_prev : cv::Matx33d::eye();

  Detections out;
  if (!last_valid_) {
    Reset();
    gray.convertTo(background_, CV_32F);
    age_ = cv::Mat(gray.size(), CV_8U, cv::Scalar(1));
  } else {
    // Background into the current frame; newly seen pixels start from the current frame.
    cv::Mat bg, age;
    cv::warpPerspective(background_, bg, cur_to_prev, gray.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                        cv::BORDER_CONSTANT, 0);
    cv::warpPerspective(age_, age, cur_to_prev, gray.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                        cv::BORDER_CONSTANT, 0);
    cv::Mat g32;
    gray.convertTo(g32, CV_32F);
    g32.copyTo(bg, age == 0);
    background_ = bg;
    age_ = age;
    cv::add(age_, cv::Scalar(1), age_);  // saturates at 255

    // Differences beyond the background's 3x3 range tolerate a pixel of misregistration on strong edges.
    cv::Mat diff = RangeDiff(g32, background_);
    cv::Mat fg = (diff > options_.diff_threshold) & (age_ > options_.warmup_frames);
    if (options_.open_px > 0) cv::morphologyEx(fg, fg, cv::MORPH_OPEN, Kernel(options_.open_px));
    if (options_.close_px > 0) cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, Kernel(options_.close_px));

    history_.push_back({gray, cur_to_prev});
    while (history_.size() > static_cast<size_t>(options_.confirm_gap_frames) + 1) history_.pop_front();
    cv::Mat objects = cv::Mat::zeros(gray.size(), CV_8U);
    out = Blobs(fg, gray, &objects);
    // Learn the background everywhere but under moving objects (unconfirmed foreground, such as the ghost of an
    // object that was in the first frame, is learnt away at the normal rate).
    if (options_.close_px > 0) cv::dilate(objects, objects, Kernel(options_.close_px));
    cv::Mat elsewhere = objects == 0;
    cv::accumulateWeighted(g32, background_, options_.bg_learning_rate, elsewhere);
    if (options_.fg_learning_rate > 0) cv::accumulateWeighted(g32, background_, options_.fg_learning_rate, objects);
  }
  if (history_.empty()) history_.push_back({gray, cv::Matx33d::eye()});

  prev_small_ = small.clone();
  // Keep following the inlier corners; find new ones when too few are left.
  if (last_valid_ && tracked_.size() >= static_cast<size_t>(options_.max_corners / 2)) {
    prev_corners_ = tracked_;
  } else {
    cv::goodFeaturesToTrack(small, prev_corners_, options_.max_corners, options_.corner_quality,
                            options_.corner_min_distance);
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
