// The `dnn` detector: small COCO detectors (FastestDet, YOLOX, Darknet YOLO) run through OpenCV DNN, with the
// decoders for their outputs, letterboxing, score threshold, class-wise NMS and a class filter.
#ifndef DIDBAN_DETECT_DNN_DETECTOR_H_
#define DIDBAN_DETECT_DNN_DETECTOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <opencv2/dnn/dnn.hpp>

#include "detect/box_ops.h"
#include "didban/stage.h"
#include "didban/status.h"

namespace didban::detect {

// The output layouts didban decodes.
enum class DnnDecoder : int {
  kAuto = 0,    // chosen from the model: Darknet files -> kDarknet, ONNX by the shape of its output
  kFastestDet,  // 1 x (5 + C) x H x W grid: objectness, tanh offsets, sigmoid sizes, class scores
  kYolox,       // 1 x N x (5 + C) over strides 8/16/32, letterboxed input (top-left, grey 114)
  kDarknet,     // Darknet [yolo] layers in OpenCV: N x (5 + C) rows, boxes as fractions of the input
};
// "auto", "fastestdet", "yolox", "darknet".
const char* DnnDecoderName(DnnDecoder d);

// Options of the DNN detector.
struct DnnOptions {
  // The network: an .onnx file (FastestDet, YOLOX), or Darknet .weights together with `config`. JSON "model".
  std::string model;
  // Darknet .cfg (needed with .weights). JSON "config".
  std::string config;
  // Class names, one a line; empty = the 80 COCO names built in. JSON "names".
  std::string names;
  // Output decoder: "auto", "fastestdet", "yolox" or "darknet". JSON "decoder".
  std::string decoder = "auto";
  // Network input size in pixels; 0 = the decoder's own (FastestDet 352, YOLOX 416, Darknet: the cfg's).
  // JSON "input_width", "input_height".
  int input_width = 0;
  int input_height = 0;
  // Minimum score in [0, 1]; negative = the decoder's default (FastestDet 0.65 as its authors use, YOLOX 0.4,
  // Darknet 0.4). JSON "score_threshold".
  float score_threshold = -1.f;
  // IoU above which a lower-scored box of the same class is suppressed. JSON "nms_iou".
  float nms_iou = 0.45f;
  // Keep only these class names (from `names`); empty = all. JSON "classes".
  std::vector<std::string> classes;
  // Overrides of the class mapping, model class name -> didban class name, e.g. {"cell phone": "car"} for cameras
  // looking straight down, where COCO models take cars for phones. Applied after `classes`. JSON "relabel".
  std::map<std::string, std::string> relabel;
  // At most this many detections per image (highest scores first). JSON "max_detections".
  int max_detections = 100;
  // Threads for OpenCV (cv::setNumThreads, process-wide) when > 0; 0 = leave OpenCV's setting. JSON "threads".
  int threads = 0;

  absl::Status Validate() const;
};

// Parses JSON params (names above) into DnnOptions, rejecting unknown keys and wrong types; `where` prefixes errors.
absl::StatusOr<DnnOptions> ParseDnnOptions(const nlohmann::json& params, const std::string& where = "dnn");

// The 80 COCO class names in model order ("person", "bicycle", "car", ...).
const std::vector<std::string>& CocoNames();

// Decoders: raw network output -> detections in network-input pixels (before NMS), scores >= `score_threshold`.
// FastestDet: `out` is 1 x (5 + C) x H x W; boxes scaled to `input` (the network input size).
Detections DecodeFastestDet(const cv::Mat& out, cv::Size input, float score_threshold);
// YOLOX: `out` is 1 x N x (5 + C) with N = sum over strides 8/16/32 of (input / stride)^2.
Detections DecodeYolox(const cv::Mat& out, cv::Size input, float score_threshold);
// Darknet: each `outs` matrix is N x (5 + C), boxes as fractions of the input, class scores already times
// objectness (OpenCV's region layer).
Detections DecodeDarknet(const std::vector<cv::Mat>& outs, cv::Size input, float score_threshold);

// Runs a detection network on whole images. Thread-compatible (one instance per camera).
class DnnDetector final : public Detector {
 public:
  // Loads the network; errors name the missing/unreadable file or the undecodable output.
  static absl::StatusOr<std::unique_ptr<DnnDetector>> Create(const DnnOptions& options);

  absl::StatusOr<Detections> Detect(const Frame& frame) override;
  std::string Name() const override { return "dnn"; }

  // Detections in the pixels of `image` (BGR 8-bit, any size).
  absl::StatusOr<Detections> DetectImage(const cv::Mat& image);

  DnnDecoder decoder() const { return decoder_; }
  cv::Size input_size() const { return input_; }
  float score_threshold() const { return score_threshold_; }
  const std::vector<std::string>& class_names() const { return names_; }

 private:
  DnnDetector() = default;
  Detections Finish(Detections raw, const Letterbox& lb, const cv::Size& image_size) const;

  DnnOptions options_;
  cv::dnn::Net net_;
  std::vector<std::string> out_names_;
  DnnDecoder decoder_ = DnnDecoder::kAuto;
  cv::Size input_;
  float score_threshold_ = 0.5f;
  std::vector<std::string> names_;
  std::vector<bool> keep_class_;             // by model class index; empty = keep all
  std::vector<ObjectClass> object_classes_;  // by model class index
  cv::Mat canvas_, blob_;
  std::vector<cv::Mat> outs_;
};

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_DNN_DETECTOR_H_
