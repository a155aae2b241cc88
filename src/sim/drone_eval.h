// Scores the aerial pipeline against a synthetic flight's ground truth: per frame, reported boxes are matched
// one-to-one to the moving objects' true boxes (greedily, by IoU >= 0.3, else by box centres within 8 pixels for
// objects too small for IoU to be stable); recall = matched true boxes / true boxes, precision = matched reports /
// reports (a report on a parked vehicle or on nothing is a false positive), and the geolocation error of each
// matched report is its ground distance to the object's true position. Not thread-safe (accumulates).
#ifndef DIDBAN_SIM_DRONE_EVAL_H_
#define DIDBAN_SIM_DRONE_EVAL_H_

#include <vector>

#include "didban/geometry.h"
#include "geo/local_frame.h"
#include "sim/drone_flight.h"

namespace didban::sim {

struct AerialReport {
  Box box;                  // pixels
  bool has_ground = false;  // east/north valid
  double lat = 0, lon = 0;  // degrees
};

class AerialScore {
 public:
  static constexpr double kMinIou = 0.3;
  static constexpr double kMaxCentrePx = 8.0;

  // Adds one frame: the truth rows of that frame and the pipeline's reports.
  void AddFrame(const std::vector<DroneTruth>& truth, const std::vector<AerialReport>& reports);

  int TruthCount() const { return truth_; }
  int ReportCount() const { return reports_; }
  int MatchedCount() const { return matched_; }
  int FalsePositives() const { return false_positives_; }
  double Recall() const { return truth_ == 0 ? 0 : static_cast<double>(matched_) / truth_; }
  double Precision() const { return reports_ == 0 ? 0 : static_cast<double>(reports_ - false_positives_) / reports_; }
  // Median ground distance (metres) between matched reports and the true positions; -1 when none.
  double MedianGeoErrorM() const;
  double GeoErrorQuantileM(double q) const;

 private:
  int truth_ = 0;
  int reports_ = 0;
  int matched_ = 0;
  int false_positives_ = 0;
  std::vector<double> geo_errors_m_;
};

}  // namespace didban::sim

#endif  // DIDBAN_SIM_DRONE_EVAL_H_
