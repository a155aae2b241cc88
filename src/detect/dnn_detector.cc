#include "detect/dnn_detector.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

#include "core/mot_format.h"
#include "core/params.h"

namespace didban::detect {

namespace {

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

absl::StatusOr<DnnDecoder> DecoderFromName(const std::string& name) {
  for (DnnDecoder d : {DnnDecoder::kAuto, DnnDecoder::kFastestDet, DnnDecoder::kYolox, DnnDecoder::kDarknet}) {
    if (name == DnnDecoderName(d)) return d;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("dnn.decoder: '", name, "' is not one of auto, fastestdet, yolox, darknet"));
}

absl::Status CheckFile(const std::string& path, const std::string& field) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("dnn.", field, ": model file not found: ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadNames(const std::string& path) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  std::vector<std::string> names;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) return absl::InvalidArgumentError(absl::StrCat("dnn.names: no class names in ", path));
  return names;
}

// The [net] width and height of a Darknet cfg, or 0 when absent.
cv::Size DarknetInputSize(const std::string& cfg_text) {
  cv::Size size(0, 0);
  std::istringstream in(cfg_text);
  std::string line;
  while (std::getline(in, line)) {
    line.erase(std::remove_if(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\r'; }), line.end());
    if (line.rfind("width=", 0) == 0 && size.width == 0) size.width = std::atoi(line.c_str() + 6);
    if (line.rfind("height=", 0) == 0 && size.height == 0) size.height = std::atoi(line.c_str() + 7);
    if (size.width > 0 && size.height > 0) break;
  }
  return size;
}

// Decides the decoder of an ONNX model from the shape of its output on a probe image.
absl::StatusOr<DnnDecoder> DetectDecoder(cv::dnn::Net& net, const std::string& path) {
  std::string tried;
  // A probe at the wrong size makes OpenCV log an error before it throws; that is expected here.
  cv::utils::logging::LogLevel level = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  struct RestoreLevel {
    cv::utils::logging::LogLevel level;
    ~RestoreLevel() { cv::utils::logging::setLogLevel(level); }
  } restore{level};
  for (int side : {416, 352}) {
    try {
      cv::Mat blob = cv::dnn::blobFromImage(cv::Mat(side, side, CV_8UC3, cv::Scalar::all(114)), 1.0 / 255);
      net.setInput(blob);
      cv::Mat out = net.forward();
      if (out.dims == 4 && out.size[0] == 1 && out.size[1] > 5 && out.size[2] > 1 && out.size[3] > 1) {
        return DnnDecoder::kFastestDet;
      }
      if (out.dims == 3 && out.size[0] == 1 && out.size[2] > 5) return DnnDecoder::kYolox;
      std::string shape;
      for (int i = 0; i < out.dims; ++i) absl::StrAppend(&shape, i ? "x" : "", out.size[i]);
      absl::StrAppend(&tried, " output ", shape, " at ", side, "x", side, ";");
    } catch (const cv::Exception& e) {
      absl::StrAppend(&tried, " input ", side, "x", side, " failed;");
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("dnn.decoder: cannot tell the decoder of ", path, " from its output (",
                                                 tried, " ); set decoder to fastestdet, yolox or darknet"));
}

cv::Size DefaultInput(DnnDecoder d) {
  switch (d) {
    case DnnDecoder::kFastestDet:
      return {352, 352};
    case DnnDecoder::kYolox:
      return {416, 416};
    default:
      return {320, 320};
  }
}

float DefaultScoreThreshold(DnnDecoder d) { return d == DnnDecoder::kFastestDet ? 0.65f : 0.4f; }

// Index and value of the largest of n floats spaced `stride` apart.
std::pair<int, float> ArgMax(const float* p, int n, size_t stride) {
  int best = 0;
  float v = p[0];
  for (int i = 1; i < n; ++i) {
    if (p[i * stride] > v) {
      v = p[i * stride];
      best = i;
    }
  }
  return {best, v};
}

}  // namespace

const char* DnnDecoderName(DnnDecoder d) {
  switch (d) {
    case DnnDecoder::kAuto:
      return "auto";
    case DnnDecoder::kFastestDet:
      return "fastestdet";
    case DnnDecoder::kYolox:
      return "yolox";
    case DnnDecoder::kDarknet:
      return "darknet";
  }
  return "auto";
}

const std::vector<std::string>& CocoNames() {
  static const std::vector<std::string>* const kNames = new std::vector<std::string>{
      "person",         "bicycle",    "car",           "motorbike",     "aeroplane",   "bus",           "train",
      "truck",          "boat",       "traffic light", "fire hydrant",  "stop sign",   "parking meter", "bench",
      "bird",           "cat",        "dog",           "horse",         "sheep",       "cow",           "elephant",
      "bear",           "zebra",      "giraffe",       "backpack",      "umbrella",    "handbag",       "tie",
      "suitcase",       "frisbee",    "skis",          "snowboard",     "sports ball", "kite",          "baseball bat",
      "baseball glove", "skateboard", "surfboard",     "tennis racket", "bottle",      "wine glass",    "cup",
      "fork",           "knife",      "spoon",         "bowl",          "banana",      "apple",         "sandwich",
      "orange",         "broccoli",   "carrot",        "hot dog",       "pizza",       "donut",         "cake",
      "chair",          "sofa",       "pottedplant",   "bed",           "diningtable", "toilet",        "tvmonitor",
      "laptop",         "mouse",      "remote",        "keyboard",      "cell phone",  "microwave",     "oven",
      "toaster",        "sink",       "refrigerator",  "book",          "clock",       "vase",          "scissors",
      "teddy bear",     "hair drier", "toothbrush"};
  return *kNames;
}

absl::Status DnnOptions::Validate() const {
  if (model.empty()) return absl::InvalidArgumentError("dnn.model: required (path of an .onnx or .weights file)");
  DIDBAN_RETURN_IF_ERROR(DecoderFromName(decoder).status());
  if (input_width < 0 || input_height < 0 || (input_width == 0) != (input_height == 0)) {
    return absl::InvalidArgumentError("dnn.input_width/input_height: both 0 (default) or both positive");
  }
  if (input_width % 32 != 0 || input_height % 32 != 0) {
    return absl::InvalidArgumentError("dnn.input_width/input_height: must be multiples of 32");
  }
  if (score_threshold > 1.f) return absl::InvalidArgumentError("dnn.score_threshold: must be <= 1");
  if (!(nms_iou > 0.f && nms_iou <= 1.f)) return absl::InvalidArgumentError("dnn.nms_iou: must be in (0, 1]");
  for (const auto& [from, to] : relabel) {
    if (ObjectClassFromName(to) == ObjectClass::kOther && to != "other") {
      return absl::InvalidArgumentError(absl::StrCat("dnn.relabel.", from, ": '", to, "' is not a didban class"));
    }
  }
  if (max_detections < 1) return absl::InvalidArgumentError("dnn.max_detections: must be >= 1");
  if (threads < 0) return absl::InvalidArgumentError("dnn.threads: must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<DnnOptions> ParseDnnOptions(const nlohmann::json& params, const std::string& where) {
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(params,
                       {"model", "config", "names", "decoder", "input_width", "input_height", "score_threshold",
                        "nms_iou", "classes", "relabel", "max_detections", "threads"},
                       where));
  DnnOptions o;
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "model", &o.model, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "config", &o.config, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "names", &o.names, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "decoder", &o.decoder, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "input_width", &o.input_width, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "input_height", &o.input_height, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "score_threshold", &o.score_threshold, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "nms_iou", &o.nms_iou, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "classes", &o.classes, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "relabel", &o.relabel, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_detections", &o.max_detections, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "threads", &o.threads, where));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

Detections DecodeFastestDet(const cv::Mat& out, cv::Size input, float score_threshold) {
  Detections dets;
  if (out.dims != 4 || out.size[1] <= 5) return dets;
  const int channels = out.size[1], gh = out.size[2], gw = out.size[3];
  const size_t plane = static_cast<size_t>(gh) * gw;
  const float* data = out.ptr<float>();
  for (int gy = 0; gy < gh; ++gy) {
    for (int gx = 0; gx < gw; ++gx) {
      const float* p = data + static_cast<size_t>(gy) * gw + gx;
      float obj = p[0];
      if (obj <= 0.f) continue;
      auto [cls, cls_score] = ArgMax(p + 5 * plane, channels - 5, plane);
      float score = std::pow(obj, 0.6f) * std::pow(std::max(cls_score, 0.f), 0.4f);
      if (score < score_threshold) continue;
      float cx = (static_cast<float>(gx) + std::tanh(p[plane])) / static_cast<float>(gw);
      float cy = (static_cast<float>(gy) + std::tanh(p[2 * plane])) / static_cast<float>(gh);
      float w = Sigmoid(p[3 * plane]);
      float h = Sigmoid(p[4 * plane]);
      Box b = Box::FromTlbr((cx - 0.5f * w) * input.width, (cy - 0.5f * h) * input.height,
                            (cx + 0.5f * w) * input.width, (cy + 0.5f * h) * input.height);
      dets.push_back({b, score, ObjectClass::kUnknown, cls});
    }
  }
  return dets;
}

Detections DecodeYolox(const cv::Mat& out, cv::Size input, float score_threshold) {
  Detections dets;
  if (out.dims != 3 || out.size[2] <= 5) return dets;
  const int rows = out.size[1], cols = out.size[2];
  const float* data = out.ptr<float>();
  int row = 0;
  for (int stride : {8, 16, 32}) {
    const int gw = input.width / stride, gh = input.height / stride;
    for (int gy = 0; gy < gh && row < rows; ++gy) {
      for (int gx = 0; gx < gw && row < rows; ++gx, ++row) {
        const float* p = data + static_cast<size_t>(row) * cols;
        auto [cls, cls_score] = ArgMax(p + 5, cols - 5, 1);
        float score = p[4] * cls_score;
        if (score < score_threshold) continue;
        float cx = (p[0] + static_cast<float>(gx)) * static_cast<float>(stride);
        float cy = (p[1] + static_cast<float>(gy)) * static_cast<float>(stride);
        float w = std::exp(p[2]) * static_cast<float>(stride);
        float h = std::exp(p[3]) * static_cast<float>(stride);
        dets.push_back({Box{cx - 0.5f * w, cy - 0.5f * h, w, h}, score, ObjectClass::kUnknown, cls});
      }
    }
  }
  return dets;
}

Detections DecodeDarknet(const std::vector<cv::Mat>& outs, cv::Size input, float score_threshold) {
  Detections dets;
  for (const cv::Mat& out : outs) {
    if (out.dims != 2 || out.cols <= 5) continue;
    for (int r = 0; r < out.rows; ++r) {
      const float* p = out.ptr<float>(r);
      auto [cls, score] = ArgMax(p + 5, out.cols - 5, 1);
      if (score < score_threshold) continue;
      float cx = p[0] * input.width, cy = p[1] * input.height;
      float w = p[2] * input.width, h = p[3] * input.height;
      dets.push_back({Box{cx - 0.5f * w, cy - 0.5f * h, w, h}, score, ObjectClass::kUnknown, cls});
    }
  }
  return dets;
}

absl::StatusOr<std::unique_ptr<DnnDetector>> DnnDetector::Create(const DnnOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  auto d = std::unique_ptr<DnnDetector>(new DnnDetector());
  d->options_ = options;
  DIDBAN_ASSIGN_OR_RETURN(DnnDecoder decoder, DecoderFromName(options.decoder));
  bool darknet =
      decoder == DnnDecoder::kDarknet || EndsWith(options.model, ".weights") || EndsWith(options.model, ".cfg");
  DIDBAN_RETURN_IF_ERROR(CheckFile(options.model, "model"));
  if (darknet) {
    if (options.config.empty()) return absl::InvalidArgumentError("dnn.config: required with Darknet weights");
    DIDBAN_RETURN_IF_ERROR(CheckFile(options.config, "config"));
  }
  if (options.threads > 0) cv::setNumThreads(options.threads);
  try {
    if (darknet) {
      d->net_ = cv::dnn::readNetFromDarknet(options.config, options.model);
      decoder = DnnDecoder::kDarknet;
    } else {
      d->net_ = cv::dnn::readNetFromONNX(options.model);
    }
    d->net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    d->net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    d->out_names_ = d->net_.getUnconnectedOutLayersNames();
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("dnn.model: cannot load ", options.model, ": ", e.what()));
  }
  if (decoder == DnnDecoder::kAuto) {
    DIDBAN_ASSIGN_OR_RETURN(decoder, DetectDecoder(d->net_, options.model));
  }
  d->decoder_ = decoder;
  d->input_ = DefaultInput(decoder);
  if (decoder == DnnDecoder::kDarknet) {
    DIDBAN_ASSIGN_OR_RETURN(std::string cfg, ReadTextFile(options.config));
    cv::Size s = DarknetInputSize(cfg);
    if (s.width > 0 && s.height > 0) d->input_ = s;
  }
  if (options.input_width > 0) d->input_ = cv::Size(options.input_width, options.input_height);
  d->score_threshold_ = options.score_threshold >= 0.f ? options.score_threshold : DefaultScoreThreshold(decoder);
  if (options.names.empty()) {
    d->names_ = CocoNames();
  } else {
    DIDBAN_ASSIGN_OR_RETURN(d->names_, ReadNames(options.names));
  }
  if (!options.classes.empty()) {
    d->keep_class_.assign(d->names_.size(), false);
    for (const std::string& c : options.classes) {
      auto it = std::find(d->names_.begin(), d->names_.end(), c);
      if (it == d->names_.end()) {
        return absl::InvalidArgumentError(absl::StrCat("dnn.classes: unknown class name '", c, "'"));
      }
      d->keep_class_[it - d->names_.begin()] = true;
    }
  }
  // didban class of each model class: COCO indices for 80-name lists, else by name; then the overrides.
  const bool coco = d->names_.size() == 80;
  for (size_t i = 0; i < d->names_.size(); ++i) {
    d->object_classes_.push_back(coco ? ObjectClassFromCoco(static_cast<int>(i)) : ObjectClassFromName(d->names_[i]));
  }
  for (const auto& [from, to] : options.relabel) {
    auto it = std::find(d->names_.begin(), d->names_.end(), from);
    if (it == d->names_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("dnn.relabel: unknown class name '", from, "'"));
    }
    d->object_classes_[it - d->names_.begin()] = ObjectClassFromName(to);
  }
  return d;
}

absl::StatusOr<Detections> DnnDetector::Detect(const Frame& frame) { return DetectImage(frame.image); }

absl::StatusOr<Detections> DnnDetector::DetectImage(const cv::Mat& image) {
  if (image.empty() || image.type() != CV_8UC3) return absl::InvalidArgumentError("dnn: expected an 8-bit BGR image");
  Detections raw;
  Letterbox lb;
  try {
    switch (decoder_) {
      case DnnDecoder::kYolox:
        lb = LetterboxImage(image, input_.width, input_.height, /*keep_aspect=*/true, &canvas_, 114);
        blob_ = cv::dnn::blobFromImage(canvas_, 1.0, cv::Size(), cv::Scalar(), /*swapRB=*/false, false);
        break;
      case DnnDecoder::kDarknet:
        lb = LetterboxImage(image, input_.width, input_.height, /*keep_aspect=*/false, &canvas_);
        blob_ = cv::dnn::blobFromImage(canvas_, 1.0 / 255, cv::Size(), cv::Scalar(), /*swapRB=*/true, false);
        break;
      default:
        lb = LetterboxImage(image, input_.width, input_.height, /*keep_aspect=*/false, &canvas_);
        blob_ = cv::dnn::blobFromImage(canvas_, 1.0 / 255, cv::Size(), cv::Scalar(), /*swapRB=*/false, false);
        break;
    }
    net_.setInput(blob_);
    net_.forward(outs_, out_names_);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("dnn: inference failed on ", options_.model, ": ", e.what()));
  }
  switch (decoder_) {
    case DnnDecoder::kYolox:
      raw = DecodeYolox(outs_[0], input_, score_threshold_);
      break;
    case DnnDecoder::kDarknet:
      raw = DecodeDarknet(outs_, input_, score_threshold_);
      break;
    default:
      raw = DecodeFastestDet(outs_[0], input_, score_threshold_);
      break;
  }
  return Finish(std::move(raw), lb, image.size());
}

Detections DnnDetector::Finish(Detections raw, const Letterbox& lb, const cv::Size& image_size) const {
  Detections kept;
  kept.reserve(raw.size());
  for (Detection& d : raw) {
    if (!keep_class_.empty() &&
        (d.model_class < 0 || d.model_class >= static_cast<int>(keep_class_.size()) || !keep_class_[d.model_class])) {
      continue;
    }
    d.box = ClipBox(lb.ToImage(d.box), image_size.width, image_size.height);
    if (d.box.Area() <= 0.f) continue;
    d.object_class = d.model_class >= 0 && d.model_class < static_cast<int>(object_classes_.size())
                         ? object_classes_[d.model_class]
                         : ObjectClass::kOther;
    kept.push_back(d);
  }
  return NmsPerClass(kept, options_.nms_iou, options_.max_detections);
}

}  // namespace didban::detect
