// The `gated` detector: a DNN run only where and when the motion detector sees motion, at most at a configured rate;
// between DNN runs the motion boxes carry the class of the DNN box they continue, so the tracker gets per-frame
// positions at the cost of a few DNN runs per second.
#ifndef DIDBAN_DETECT_GATED_DETECTOR_H_
#define DIDBAN_DETECT_GATED_DETECTOR_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/dnn_detector.h"
#include "detect/motion_detector.h"
#include "didban/stage.h"
#include "didban/status.h"

namespace didban::detect {

// Options of the gated detector.
struct GatedOptions {
  MotionOptions motion;  // JSON "motion": the motion detector's params
  DnnOptions dnn;        // JSON "dnn": the DNN detector's params ("model" is required)
  // At most this many DNN runs per second of frame time; 0 = on every frame with motion. JSON "detect_hz".
  double detect_hz = 4.0;
  // Run the DNN on the padded union of the motion boxes (true) or on the whole frame (false). JSON "crop".
  bool crop = true;
  // Padding around the union of motion boxes, as a fraction of the union's larger side (at least 16 px).
  // JSON "crop_pad".
  double crop_pad = 0.25;
  // A crop is at least this many pixels on each side (objects are never upscaled more than input/this);
  // 0 = the DNN's input size. JSON "min_crop_px".
  int min_crop_px = 0;
  // A crop covering more than this fraction of the frame is replaced by the whole frame. JSON "full_frame_above".
  double full_frame_above = 0.6;
  // A motion box takes the class of the remembered DNN box covering at least this fraction of it.
  // JSON "inherit_overlap".
  double inherit_overlap = 0.3;
  // A remembered DNN box that no motion box has continued for this long is forgotten, seconds.
  // JSON "memory_s".
  double memory_s = 1.0;
  // Also report motion boxes that continue no DNN box (class unknown). JSON "keep_unclassified".
  bool keep_unclassified = false;

  absl::Status Validate() const;
};

// Parses JSON params (names above) into GatedOptions; errors name the field ("gated.motion.open_px: ...").
absl::StatusOr<GatedOptions> ParseGatedOptions(const nlohmann::json& params, const std::string& where = "gated");

// Motion-gated DNN detection (see the file comment). Thread-compatible.
class GatedDetector final : public Detector {
 public:
  static absl::StatusOr<std::unique_ptr<GatedDetector>> Create(const GatedOptions& options);

  absl::StatusOr<Detections> Detect(const Frame& frame) override;
  std::string Name() const override { return "gated"; }

  // How many times the DNN ran, and on how many pixels in all (for benchmarks and tests).
  int64_t dnn_runs() const { return dnn_runs_; }
  int64_t dnn_pixels() const { return dnn_pixels_; }
  // The region the DNN saw in the last frame (empty when it did not run).
  const Box& last_dnn_region() const { return last_region_; }

 private:
  // A DNN detection remembered between runs, moved along by the motion boxes that continue it.
  struct Remembered {
    Detection detection;
    TimeUs seen_us = 0;
  };

  GatedDetector(const GatedOptions& options, std::unique_ptr<DnnDetector> dnn);
  bool DnnDue(TimeUs time_us) const;
  Box DnnRegion(const std::vector<Box>& motion, const cv::Size& frame) const;
  absl::StatusOr<Detections> RunDnn(const cv::Mat& image, const Box& region, TimeUs time_us);
  Detections Inherit(const std::vector<Box>& motion, TimeUs time_us);

  GatedOptions options_;
  MotionDetector motion_;
  std::unique_ptr<DnnDetector> dnn_;
  std::vector<Remembered> memory_;
  bool ran_ = false;
  TimeUs last_run_us_ = 0;
  int64_t dnn_runs_ = 0;
  int64_t dnn_pixels_ = 0;
  Box last_region_;
};

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_GATED_DETECTOR_H_
