#include "config/site_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <opencv2/calib3d.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/json_io.h"
#include "core/mot_format.h"

namespace didban::config {
namespace {

absl::Status AtMark(const std::string& path, const YAML::Mark& m, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", m.line + 1, ":", m.column + 1, ": ", what));
}

// Text that is not UTF-8 is refused with the line and column of its first bad byte (YAML is UTF-8 here, and every
// string of the site ends up in JSON events and API answers).
absl::Status CheckUtf8(const std::string& path, const std::string& text) {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad == std::string::npos) return absl::OkStatus();
  const size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
  const size_t col = line_start == std::string::npos || bad == 0 ? bad + 1 : bad - line_start;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ":", col, ": not UTF-8 (byte 0x",
                                                 absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2),
                                                 "); save the file as UTF-8"));
}

// Walks the YAML event stream before any node is built and counts the nodes that the document holds with every
// alias expanded, and its nesting depth; stops (by throwing LimitBroken) at the first limit broken. An alias to a
// node that is still open (`&a [*a]`) would make a cycle and is refused too.
class YamlBudget : public YAML::EventHandler {
 public:
  struct LimitBroken {
    YAML::Mark mark;
    std::string what;
  };

  explicit YamlBudget(const SiteLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override { sizes_.clear(); }  // anchor ids restart per document
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    if (it == sizes_.end()) {
      throw LimitBroken{mark, "YAML alias to a node that contains it (a cycle); aliases must refer to a complete node"};
    }
    Add(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Open_ {
    YAML::anchor_t anchor;
    int64_t nodes;
    YAML::Mark mark;
  };

  void Add(const YAML::Mark& mark, int64_t nodes) {
    // Every open container's count is part of the document's total once it closes: check the sum now.
    (open_.empty() ? total_ : open_.back().nodes) += nodes;
    int64_t all = total_;
    for (const Open_& o : open_) all += o.nodes;
    if (all > limits_.max_nodes) {
      throw LimitBroken{mark, absl::StrCat("the document holds more than ", limits_.max_nodes,
                                           " YAML nodes with its aliases expanded (limit max_nodes; aliases that "
                                           "repeat large nodes are refused)")};
    }
  }
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
    Add(mark, 1);
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(open_.size()) >= limits_.max_depth) {
      throw LimitBroken{mark, absl::StrCat("YAML nested deeper than ", limits_.max_depth, " levels (limit max_depth)")};
    }
    open_.push_back({anchor, 1, mark});
  }
  void Close() {
    Open_ done = open_.back();
    open_.pop_back();
    if (done.anchor != YAML::NullAnchor) sizes_[done.anchor] = done.nodes;
    Add(done.mark, done.nodes);
  }

  const SiteLimits& limits_;
  std::vector<Open_> open_;
  std::map<YAML::anchor_t, int64_t> sizes_;  // expanded node count of each complete anchored node
  int64_t total_ = 0;
};

absl::Status CheckYamlBudget(const std::string& path, const std::string& text, const SiteLimits& limits) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  YamlBudget budget(limits);
  try {
    while (parser.HandleNextDocument(budget)) {
    }
  } catch (const YamlBudget::LimitBroken& e) {
    return AtMark(path, e.mark, e.what);
  } catch (const YAML::Exception& e) {
    return AtMark(path, e.mark, absl::StrCat("YAML syntax error: ", e.msg));
  }
  return absl::OkStatus();
}

// Where a node is, for messages: "file:line:col field".
std::string At(const std::string& path, const YAML::Node& node, const std::string& field) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return absl::StrCat(path, ": ", field);
  return absl::StrCat(path, ":", m.line + 1, ":", m.column + 1, ": ", field);
}

absl::Status Bad(const std::string& path, const YAML::Node& node, const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(At(path, node, field), ": ", what));
}

// YAML -> JSON with scalars typed as bool, integer, float or string (YAML 1.2 core schema, roughly).
nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& child : node) a.push_back(ToJson(child));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : node) o[ToValidUtf8(kv.first.as<std::string>())] = ToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return ToValidUtf8(s);  // quoted: always a string
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      char* end = nullptr;
      errno = 0;
      int64_t i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0' && errno != ERANGE) return static_cast<int64_t>(i);  // else a double
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0') return d;
      return ToValidUtf8(s);  // the file was checked for UTF-8, but yaml-cpp may cut a scalar at a NUL byte
    }
  }
  return nullptr;
}

absl::StatusOr<double> GetDouble(const std::string& path, const YAML::Node& node, const std::string& field) {
  try {
    double v = node.as<double>();
    if (!std::isfinite(v)) return Bad(path, node, field, "not a finite number");
    return v;
  } catch (const YAML::Exception&) {
    return Bad(path, node, field, absl::StrCat("expected a number, got '", node.IsScalar() ? node.Scalar() : "?", "'"));
  }
}

absl::StatusOr<std::string> GetString(const std::string& path, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) return Bad(path, node, field, "expected a string");
  return node.Scalar();
}

absl::StatusOr<std::vector<Point2>> GetPoints(const std::string& path, const YAML::Node& node,
                                              const std::string& field) {
  if (!node.IsSequence()) return Bad(path, node, field, "expected a list of [x, y] pairs");
  std::vector<Point2> out;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& p = node[i];
    std::string f = absl::StrCat(field, "[", i, "]");
    if (!p.IsSequence() || p.size() != 2) return Bad(path, p, f, "expected a pair [x, y]");
    DIDBAN_ASSIGN_OR_RETURN(double x, GetDouble(path, p[0], f));
    DIDBAN_ASSIGN_OR_RETURN(double y, GetDouble(path, p[1], f));
    out.push_back({x, y});
  }
  return out;
}

std::string Resolve(const std::string& site_path, const std::string& rel) {
  if (rel.find("://") != std::string::npos) return rel;
  std::filesystem::path p(rel);
  if (p.is_absolute()) return rel;
  return (std::filesystem::path(site_path).parent_path() / p).lexically_normal().string();
}

absl::Status CheckKeys(const std::string& path, const YAML::Node& node, const std::string& field,
                       const std::set<std::string>& known) {
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>();
    if (known.count(k) == 0) {
      std::string list;
      for (const auto& n : known) absl::StrAppend(&list, list.empty() ? "" : ", ", n);
      return Bad(path, kv.first, field.empty() ? k : absl::StrCat(field, ".", k),
                 absl::StrCat("unknown key (known: ", list, ")"));
    }
  }
  return absl::OkStatus();
}

// `definition` (when given) receives the calibration as a camera definition carries it back
// (CameraConfig::calibration_json): the mapping as written, with latitude/longitude homography points turned into
// local metres (`ground`) and calibration files resolved against the site file's folder, so that it parses to the
// same calibration from any definition.
absl::StatusOr<geo::CameraCalibration> ParseCalibration(const std::string& path, const YAML::Node& node,
                                                        const std::string& field,
                                                        const std::optional<geo::LatLon>& origin,
                                                        nlohmann::json* definition = nullptr) {
  geo::CameraCalibration cal;
  if (!node.IsMap()) return Bad(path, node, field, "expected a mapping");
  nlohmann::json def = ToJson(node);
  DIDBAN_RETURN_IF_ERROR(
      CheckKeys(path, node, field, {"ground_reference", "homography", "pinhole", "opencv_xml", "tsai", "ground_z"}));
  if (node["ground_reference"]) {
    DIDBAN_ASSIGN_OR_RETURN(std::string ref, GetString(path, node["ground_reference"], field + ".ground_reference"));
    if (ref == "bottom_center") {
      cal.reference = geo::GroundReference::kBottomCenter;
    } else if (ref == "center") {
      cal.reference = geo::GroundReference::kCenter;
    } else {
      return Bad(path, node["ground_reference"], field + ".ground_reference",
                 absl::StrCat("expected bottom_center or center, got '", ref, "'"));
    }
  }
  if (node["ground_z"]) {
    DIDBAN_ASSIGN_OR_RETURN(cal.ground_z, GetDouble(path, node["ground_z"], field + ".ground_z"));
  }
  int kinds =
      (node["homography"] ? 1 : 0) + (node["pinhole"] ? 1 : 0) + (node["opencv_xml"] ? 1 : 0) + (node["tsai"] ? 1 : 0);
  if (kinds > 1) return Bad(path, node, field, "give only one of homography, pinhole, opencv_xml, tsai");
  if (const YAML::Node h = node["homography"]) {
    std::string f = field + ".homography";
    if (!h.IsMap()) return Bad(path, h, f, "expected a mapping with image and ground (or latlon) points");
    DIDBAN_RETURN_IF_ERROR(CheckKeys(path, h, f, {"image", "ground", "latlon"}));
    if (!h["image"]) return Bad(path, h, f, "missing image points");
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Point2> image, GetPoints(path, h["image"], f + ".image"));
    std::vector<Point2> ground;
    if (h["ground"] && h["latlon"]) return Bad(path, h, f, "give ground or latlon points, not both");
    if (h["ground"]) {
      DIDBAN_ASSIGN_OR_RETURN(ground, GetPoints(path, h["ground"], f + ".ground"));
    } else if (h["latlon"]) {
      if (!origin) return Bad(path, h["latlon"], f + ".latlon", "latitude/longitude points need site.origin");
      DIDBAN_ASSIGN_OR_RETURN(std::vector<Point2> ll, GetPoints(path, h["latlon"], f + ".latlon"));
      geo::LocalFrame frame(origin->lat, origin->lon, origin->alt);
      for (size_t i = 0; i < ll.size(); ++i) {
        DIDBAN_RETURN_IF_ERROR(geo::ValidateLatLon(ll[i].x, ll[i].y, At(path, h["latlon"][i], f + ".latlon")));
        ground.push_back(frame.ToLocal(ll[i].x, ll[i].y));
      }
    } else {
      return Bad(path, h, f, "missing ground (metres) or latlon points");
    }
    if (image.size() != ground.size()) {
      return Bad(path, h, f,
                 absl::StrCat(image.size(), " image points but ", ground.size(), " ground points; they must pair up"));
    }
    std::vector<geo::PointPair> pairs;
    nlohmann::json def_image = nlohmann::json::array(), def_ground = nlohmann::json::array();
    for (size_t i = 0; i < image.size(); ++i) {
      pairs.push_back({image[i], ground[i]});
      def_image.push_back({image[i].x, image[i].y});
      def_ground.push_back({ground[i].x, ground[i].y});
    }
    def["homography"] = {{"image", std::move(def_image)}, {"ground", std::move(def_ground)}};
    absl::StatusOr<geo::GroundHomography> fit = geo::GroundHomography::Fit(pairs);
    if (!fit.ok()) return Bad(path, h, f, std::string(fit.status().message()));
    cal.homography = *fit;
  }
  if (const YAML::Node p = node["pinhole"]) {
    std::string f = field + ".pinhole";
    DIDBAN_RETURN_IF_ERROR(
        CheckKeys(path, p, f, {"fx", "fy", "cx", "cy", "distortion", "rvec", "tvec", "width", "height"}));
    geo::PinholeCamera cam;
    double v[4];
    const char* names[4] = {"fx", "fy", "cx", "cy"};
    for (int i = 0; i < 4; ++i) {
      if (!p[names[i]]) return Bad(path, p, f, absl::StrCat("missing ", names[i]));
      DIDBAN_ASSIGN_OR_RETURN(v[i], GetDouble(path, p[names[i]], f + "." + names[i]));
    }
    cam.k = cv::Matx33d(v[0], 0, v[2], 0, v[1], v[3], 0, 0, 1);
    auto vec3 = [&](const char* key, cv::Vec3d* out) -> absl::Status {
      const YAML::Node n = p[key];
      if (!n || !n.IsSequence() || n.size() != 3) return Bad(path, n ? n : p, f + "." + key, "expected [x, y, z]");
      for (int i = 0; i < 3; ++i) {
        DIDBAN_ASSIGN_OR_RETURN((*out)[i], GetDouble(path, n[i], f + "." + key));
      }
      return absl::OkStatus();
    };
    cv::Vec3d rvec, tvec;
    DIDBAN_RETURN_IF_ERROR(vec3("rvec", &rvec));
    DIDBAN_RETURN_IF_ERROR(vec3("tvec", &tvec));
    cv::Matx33d r;
    cv::Rodrigues(rvec, r);
    cam.r = r;
    cam.t = tvec;
    if (p["distortion"]) {
      for (size_t i = 0; i < p["distortion"].size(); ++i) {
        DIDBAN_ASSIGN_OR_RETURN(double d, GetDouble(path, p["distortion"][i], f + ".distortion"));
        cam.distortion.push_back(d);
      }
    }
    if (p["width"]) cam.width = p["width"].as<int>(0);
    if (p["height"]) cam.height = p["height"].as<int>(0);
    cal.pinhole = cam;
  }
  if (const YAML::Node x = node["opencv_xml"]) {
    std::string f = field + ".opencv_xml";
    DIDBAN_RETURN_IF_ERROR(CheckKeys(path, x, f, {"intrinsic", "extrinsic", "units_to_m"}));
    if (!x["intrinsic"] || !x["extrinsic"]) return Bad(path, x, f, "needs intrinsic and extrinsic files");
    double units = 1.0;
    if (x["units_to_m"]) {
      DIDBAN_ASSIGN_OR_RETURN(units, GetDouble(path, x["units_to_m"], f + ".units_to_m"));
    }
    auto cam = geo::LoadOpenCvXmlCalibration(Resolve(path, x["intrinsic"].Scalar()),
                                             Resolve(path, x["extrinsic"].Scalar()), units);
    if (!cam.ok()) return Bad(path, x, f, std::string(cam.status().message()));
    cal.pinhole = *cam;
    def["opencv_xml"]["intrinsic"] = Resolve(path, x["intrinsic"].Scalar());
    def["opencv_xml"]["extrinsic"] = Resolve(path, x["extrinsic"].Scalar());
  }
  if (const YAML::Node t = node["tsai"]) {
    DIDBAN_ASSIGN_OR_RETURN(std::string file, GetString(path, t, field + ".tsai"));
    auto cam = geo::LoadTsaiCalibration(Resolve(path, file));
    if (!cam.ok()) return Bad(path, t, field + ".tsai", std::string(cam.status().message()));
    cal.pinhole = *cam;
    def["tsai"] = Resolve(path, file);
  }
  if (definition != nullptr) *definition = std::move(def);
  return cal;
}

absl::StatusOr<Spec> ParseSpec(const std::string& path, const YAML::Node& node, const std::string& field,
                               const std::string& default_type) {
  Spec spec;
  spec.where = At(path, node, field);
  if (node.IsScalar()) {  // "detector: motion"
    spec.type = node.Scalar();
    spec.params = nlohmann::json::object();
    return spec;
  }
  if (!node.IsMap()) return Bad(path, node, field, "expected a mapping with a type");
  spec.params = ToJson(node);
  if (node["type"]) {
    DIDBAN_ASSIGN_OR_RETURN(spec.type, GetString(path, node["type"], field + ".type"));
  } else if (default_type.empty()) {
    return Bad(path, node, field, "missing type");
  } else {
    spec.type = default_type;
  }
  if (node["name"]) {
    DIDBAN_ASSIGN_OR_RETURN(spec.name, GetString(path, node["name"], field + ".name"));
  }
  return spec;
}

// A duration (seconds or "7d") or a size (bytes or "2GiB") from a scalar, in [lo, hi].
absl::StatusOr<double> GetDuration(const std::string& path, const YAML::Node& node, const std::string& field, double lo,
                                   double hi) {
  if (!node.IsScalar())
    return Bad(path, node, field, "expected a duration (seconds, or e.g. \"90s\", \"36h\", \"7d\")");
  absl::StatusOr<double> v = ParseDurationSeconds(node.Scalar());
  if (!v.ok()) return Bad(path, node, field, std::string(v.status().message()));
  if (*v < lo || *v > hi) return Bad(path, node, field, absl::StrCat("must be in [", lo, ", ", hi, "] seconds"));
  return *v;
}

absl::StatusOr<int64_t> GetByteSize(const std::string& path, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) return Bad(path, node, field, "expected a size (bytes, or e.g. \"500MB\", \"2GiB\")");
  absl::StatusOr<int64_t> v = ParseByteSize(node.Scalar());
  if (!v.ok()) return Bad(path, node, field, std::string(v.status().message()));
  return *v;
}

// The keys of a `recording:` mapping that a camera may give (the site section adds the node-wide ones).
absl::StatusOr<RecordingOverrides> ParseRecording(const std::string& path, const YAML::Node& node,
                                                  const std::string& field, bool site_wide) {
  RecordingOverrides r;
  if (!node.IsMap()) return Bad(path, node, field, "expected a mapping");
  std::set<std::string> keys = {"mode", "segment_s", "max_age", "max_bytes", "pre_s", "post_s"};
  if (site_wide) keys.insert({"min_free_bytes", "min_free_percent", "check_every_s"});
  DIDBAN_RETURN_IF_ERROR(CheckKeys(path, node, field, keys));
  if (const YAML::Node m = node["mode"]) {
    DIDBAN_ASSIGN_OR_RETURN(std::string mode, GetString(path, m, field + ".mode"));
    if (mode == "continuous") {
      r.mode = RecordingMode::kContinuous;
    } else if (mode == "events") {
      r.mode = RecordingMode::kEvents;
    } else if (mode == "off" || mode == "false") {  // YAML 1.1 reads a bare off as false
      r.mode = RecordingMode::kOff;
    } else {
      return Bad(path, m, field + ".mode", absl::StrCat("expected continuous, events or off, got '", mode, "'"));
    }
  }
  if (node["segment_s"]) {
    DIDBAN_ASSIGN_OR_RETURN(r.segment_s, GetDuration(path, node["segment_s"], field + ".segment_s", 1, 3600));
  }
  if (node["max_age"]) {
    DIDBAN_ASSIGN_OR_RETURN(r.max_age_s,
                            GetDuration(path, node["max_age"], field + ".max_age", 0, 100 * 365 * 86400.0));
  }
  if (node["max_bytes"]) {
    DIDBAN_ASSIGN_OR_RETURN(r.max_bytes, GetByteSize(path, node["max_bytes"], field + ".max_bytes"));
  }
  if (node["pre_s"]) {
    DIDBAN_ASSIGN_OR_RETURN(r.pre_s, GetDuration(path, node["pre_s"], field + ".pre_s", 0, 600));
  }
  if (node["post_s"]) {
    DIDBAN_ASSIGN_OR_RETURN(r.post_s, GetDuration(path, node["post_s"], field + ".post_s", 0, 600));
  }
  r.json = ToJson(node);
  if (site_wide) {
    for (const char* k : {"min_free_bytes", "min_free_percent", "check_every_s"}) r.json.erase(k);
  }
  return r;
}

absl::StatusOr<SiteRecordingConfig> ParseSiteRecording(const std::string& path, const YAML::Node& node) {
  SiteRecordingConfig site;
  site.where = At(path, node, "recording");
  DIDBAN_ASSIGN_OR_RETURN(site.defaults, ParseRecording(path, node, "recording", /*site_wide=*/true));
  if (node["min_free_bytes"]) {
    DIDBAN_ASSIGN_OR_RETURN(site.min_free_bytes, GetByteSize(path, node["min_free_bytes"], "recording.min_free_bytes"));
  }
  if (const YAML::Node p = node["min_free_percent"]) {
    DIDBAN_ASSIGN_OR_RETURN(site.min_free_percent, GetDouble(path, p, "recording.min_free_percent"));
    if (site.min_free_percent < 0 || site.min_free_percent > 90) {
      return Bad(path, p, "recording.min_free_percent", "must be in [0, 90]");
    }
  }
  if (node["check_every_s"]) {
    DIDBAN_ASSIGN_OR_RETURN(site.retention_every_s,
                            GetDuration(path, node["check_every_s"], "recording.check_every_s", 1, 3600));
  }
  return site;
}

// `privacy_masks:`: a list of polygons, each a list of at least 3 [x, y] points in full-resolution pixels (the
// shape only; record::ParsePrivacyMask reads the values again where the masks are applied).
absl::StatusOr<nlohmann::json> ParsePrivacyMasks(const std::string& path, const YAML::Node& node,
                                                 const std::string& field) {
  if (!node.IsSequence()) return Bad(path, node, field, "expected a list of polygons, each a list of [x, y] points");
  if (node.size() > 64) return Bad(path, node, field, "more than 64 polygons");
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node poly = node[i];
    const std::string pf = absl::StrCat(field, "[", i, "]");
    if (!poly.IsSequence() || poly.size() < 3 || poly.size() > 1000) {
      return Bad(path, poly, pf, "a polygon is a list of 3 to 1000 [x, y] points (pixels)");
    }
    nlohmann::json points = nlohmann::json::array();
    for (size_t k = 0; k < poly.size(); ++k) {
      const YAML::Node p = poly[k];
      const std::string kf = absl::StrCat(pf, "[", k, "]");
      if (!p.IsSequence() || p.size() != 2) return Bad(path, p, kf, "expected [x, y] in pixels");
      DIDBAN_ASSIGN_OR_RETURN(double x, GetDouble(path, p[0], kf + "[0]"));
      DIDBAN_ASSIGN_OR_RETURN(double y, GetDouble(path, p[1], kf + "[1]"));
      if (!std::isfinite(x) || !std::isfinite(y) || std::abs(x) > 1e5 || std::abs(y) > 1e5) {
        return Bad(path, p, kf, "coordinates beyond 100000 px");
      }
      points.push_back({x, y});
    }
    out.push_back(std::move(points));
  }
  return out;
}

absl::StatusOr<CameraConfig> ParseCamera(const std::string& path, const YAML::Node& node, const std::string& field,
                                         const std::optional<geo::LatLon>& origin) {
  CameraConfig cam;
  cam.where = At(path, node, field);
  if (!node.IsMap()) return Bad(path, node, field, "expected a mapping");
  DIDBAN_RETURN_IF_ERROR(CheckKeys(path, node, field,
                                   {"name", "uri", "fps", "analysis_width", "detector", "tracker", "calibration",
                                    "rules", "recording", "privacy_masks", "masked_recording", "owner"}));
  if (!node["name"]) return Bad(path, node, field, "missing name");
  DIDBAN_ASSIGN_OR_RETURN(cam.name, GetString(path, node["name"], field + ".name"));
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  if (cam.name.empty() || !std::all_of(cam.name.begin(), cam.name.end(), name_char)) {
    return Bad(path, node["name"], field + ".name",
               absl::StrCat("'", cam.name, "' must use only letters, digits, '_', '.', '-'"));
  }
  if (node["uri"]) {
    DIDBAN_ASSIGN_OR_RETURN(std::string uri, GetString(path, node["uri"], field + ".uri"));
    cam.uri = Resolve(path, uri);
  }
  if (node["owner"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.owner, GetString(path, node["owner"], field + ".owner"));
    if (cam.owner.empty() || cam.owner.size() > 128 || !std::all_of(cam.owner.begin(), cam.owner.end(), name_char)) {
      return Bad(path, node["owner"], field + ".owner", "must be 1 to 128 letters, digits, '_', '.', '-'");
    }
  }
  if (node["fps"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.fps, GetDouble(path, node["fps"], field + ".fps"));
    if (cam.fps < 0 || cam.fps > 1000) return Bad(path, node["fps"], field + ".fps", "must be in [0, 1000]");
  }
  if (node["analysis_width"]) {
    DIDBAN_ASSIGN_OR_RETURN(double w, GetDouble(path, node["analysis_width"], field + ".analysis_width"));
    if (w < 0 || w > 16384 || w != std::floor(w)) {
      return Bad(path, node["analysis_width"], field + ".analysis_width", "must be an integer in [0, 16384]");
    }
    cam.analysis_width = static_cast<int>(w);
  }
  if (node["detector"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.detector, ParseSpec(path, node["detector"], field + ".detector", "motion"));
  } else {
    cam.detector.type = "motion";
    cam.detector.params = nlohmann::json::object();
    cam.detector.where = cam.where;
  }
  if (node["tracker"]) cam.tracker = ToJson(node["tracker"]);
  if (node["calibration"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.calibration, ParseCalibration(path, node["calibration"], field + ".calibration", origin,
                                                              &cam.calibration_json));
  }
  if (const YAML::Node rules = node["rules"]) {
    if (!rules.IsSequence()) return Bad(path, rules, field + ".rules", "expected a list of rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      DIDBAN_ASSIGN_OR_RETURN(Spec r, ParseSpec(path, rules[i], absl::StrCat(field, ".rules[", i, "]"), ""));
      cam.rules.push_back(std::move(r));
    }
  }
  if (node["recording"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.recording,
                            ParseRecording(path, node["recording"], field + ".recording", /*site_wide=*/false));
  }
  if (const YAML::Node masks = node["privacy_masks"]) {
    DIDBAN_ASSIGN_OR_RETURN(cam.privacy_masks, ParsePrivacyMasks(path, masks, field + ".privacy_masks"));
  }
  if (const YAML::Node m = node["masked_recording"]) {
    if (!m.IsScalar() || (m.Scalar() != "true" && m.Scalar() != "false")) {
      return Bad(path, m, field + ".masked_recording", "expected true or false");
    }
    cam.masked_recording = m.Scalar() == "true";
    // Masked recording fills the masks before encoding: without a mask it would store the picture unmasked.
    if (cam.masked_recording && (!cam.privacy_masks.is_array() || cam.privacy_masks.empty())) {
      return Bad(path, m, field + ".masked_recording",
                 "needs privacy_masks (the polygons filled before the video is encoded); add privacy_masks to this "
                 "camera or remove masked_recording");
    }
  }
  return cam;
}

}  // namespace

const CameraConfig* SiteConfig::FindCamera(const std::string& name) const {
  for (const CameraConfig& c : cameras) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status SiteConfig::Validate() const {
  std::set<std::string> names;
  for (const CameraConfig& c : cameras) {
    if (!names.insert(c.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(c.where, ": duplicate camera name '", c.name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SiteConfig> ParseSiteConfig(const std::string& yaml_text, const std::string& path,
                                           const SiteLimits& limits) {
  if (static_cast<int64_t>(yaml_text.size()) > limits.max_bytes) {
    return absl::OutOfRangeError(absl::StrCat(path, ": ", yaml_text.size(), " bytes is above the limit of ",
                                              limits.max_bytes, " bytes for a site file"));
  }
  DIDBAN_RETURN_IF_ERROR(CheckUtf8(path, yaml_text));
  DIDBAN_RETURN_IF_ERROR(CheckYamlBudget(path, yaml_text, limits));
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  }
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping at the top"));
  SiteConfig site;
  site.path = path;
  site.sections = nlohmann::json::object();
  try {
    DIDBAN_RETURN_IF_ERROR(
        CheckKeys(path, root, "", std::set<std::string>(std::begin(kSiteTopLevelKeys), std::end(kSiteTopLevelKeys))));
    if (const YAML::Node s = root["site"]) {
      if (!s.IsMap()) return Bad(path, s, "site", "expected a mapping");
      DIDBAN_RETURN_IF_ERROR(CheckKeys(path, s, "site", {"name", "origin"}));
      if (s["name"]) {
        DIDBAN_ASSIGN_OR_RETURN(site.name, GetString(path, s["name"], "site.name"));
      }
      if (const YAML::Node o = s["origin"]) {
        if (!o.IsMap() || !o["lat"] || !o["lon"]) return Bad(path, o, "site.origin", "expected {lat, lon[, alt]}");
        DIDBAN_RETURN_IF_ERROR(CheckKeys(path, o, "site.origin", {"lat", "lon", "alt"}));
        geo::LatLon ll;
        DIDBAN_ASSIGN_OR_RETURN(ll.lat, GetDouble(path, o["lat"], "site.origin.lat"));
        DIDBAN_ASSIGN_OR_RETURN(ll.lon, GetDouble(path, o["lon"], "site.origin.lon"));
        if (o["alt"]) {
          DIDBAN_ASSIGN_OR_RETURN(ll.alt, GetDouble(path, o["alt"], "site.origin.alt"));
        }
        DIDBAN_RETURN_IF_ERROR(geo::ValidateLatLon(ll.lat, ll.lon, At(path, o, "site.origin")));
        site.origin = ll;
      }
    }
    if (const YAML::Node r = root["recording"]) {
      DIDBAN_ASSIGN_OR_RETURN(site.recording, ParseSiteRecording(path, r));
    }
    if (const YAML::Node cams = root["cameras"]) {
      if (!cams.IsSequence()) return Bad(path, cams, "cameras", "expected a list of cameras");
      for (size_t i = 0; i < cams.size(); ++i) {
        DIDBAN_ASSIGN_OR_RETURN(CameraConfig c,
                                ParseCamera(path, cams[i], absl::StrCat("cameras[", i, "]"), site.origin));
        site.cameras.push_back(std::move(c));
      }
    }
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (key != "site" && key != "cameras" && key != "recording") site.sections[key] = ToJson(kv.second);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  } catch (const cv::Exception& e) {  // OpenCV (Rodrigues, homography fit) on values it cannot use
    return absl::InvalidArgumentError(absl::StrCat(path, ": calibration: ", e.what()));
  } catch (const std::exception& e) {  // nlohmann::json and the standard library: never past this adapter
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
  DIDBAN_RETURN_IF_ERROR(site.Validate());
  return site;
}

const char* RecordingModeName(RecordingMode mode) {
  switch (mode) {
    case RecordingMode::kContinuous:
      return "continuous";
    case RecordingMode::kEvents:
      return "events";
    case RecordingMode::kOff:
      return "off";
  }
  return "unknown";
}

RecordingSettings ResolveRecording(const SiteRecordingConfig& site, const RecordingOverrides& camera) {
  RecordingSettings out;
  for (const RecordingOverrides* o : {&site.defaults, &camera}) {
    if (o->mode) out.mode = *o->mode;
    if (o->segment_s) out.segment_s = *o->segment_s;
    if (o->max_age_s) out.max_age_s = *o->max_age_s;
    if (o->max_bytes) out.max_bytes = *o->max_bytes;
    if (o->pre_s) out.pre_s = *o->pre_s;
    if (o->post_s) out.post_s = *o->post_s;
  }
  return out;
}

namespace {

// Splits "36h" into 36 and "h"; false when the number part is not a finite number >= 0.
bool SplitNumberUnit(const std::string& text, double* number, std::string* unit) {
  const std::string t(absl::StripAsciiWhitespace(text));
  size_t end = 0;
  while (end < t.size() && (std::isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.')) ++end;
  if (end == 0) return false;
  const std::string num = t.substr(0, end);
  char* stop = nullptr;
  errno = 0;
  *number = std::strtod(num.c_str(), &stop);
  if (*stop != '\0' || errno == ERANGE || !std::isfinite(*number) || *number < 0) return false;
  *unit = std::string(absl::StripAsciiWhitespace(t.substr(end)));
  return true;
}

}  // namespace

absl::StatusOr<double> ParseDurationSeconds(const std::string& text) {
  double n = 0;
  std::string unit;
  if (!SplitNumberUnit(text, &n, &unit)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a duration (seconds, or e.g. 90s, 36h, 7d)"));
  }
  static const std::map<std::string, double> kUnits = {{"", 1},     {"s", 1},     {"m", 60},       {"min", 60},
                                                       {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': unknown duration unit '", unit, "' (s, m, h, d, w)"));
  }
  return n * it->second;
}

absl::StatusOr<int64_t> ParseByteSize(const std::string& text) {
  double n = 0;
  std::string unit;
  if (!SplitNumberUnit(text, &n, &unit)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a size (bytes, or e.g. 500MB, 2GiB)"));
  }
  std::string u;
  for (char c : unit) u += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!u.empty() && u.back() == 'b') u.pop_back();  // "GB" = "G", "GiB" = "Gi", "B" = ""
  static const std::map<std::string, double> kUnits = {
      {"", 1},           {"k", 1e3},           {"m", 1e6},
      {"g", 1e9},        {"t", 1e12},          {"ki", 1024},
      {"mi", 1048576.0}, {"gi", 1073741824.0}, {"ti", 1099511627776.0}};
  auto it = kUnits.find(u);
  if (it == kUnits.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': unknown size unit '", unit, "' (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"));
  }
  const double bytes = n * it->second;
  if (bytes > 9e18) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too large"));
  return static_cast<int64_t>(std::llround(bytes));
}

absl::StatusOr<SiteConfig> LoadSiteConfig(const std::string& path, const SiteLimits& limits) {
  if (!std::ifstream(path)) return absl::NotFoundError(absl::StrCat(path, ": cannot open site configuration"));
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, limits.max_bytes));
  return ParseSiteConfig(text, path, limits);
}

}  // namespace didban::config
