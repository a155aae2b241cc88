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

  // Adds one frame: the truth rows of that frame and the pipeline's reports; `image_height` (pixels) only sorts
  // the misses into thirds.
  void AddFrame(const std::vector<DroneTruth>& truth, const std::vector<AerialReport>& reports, int image_height = 720);

  int TruthCount() const { return truth_; }
  int ReportCount() const { return reports_; }
  int MatchedCount() const { return matched_; }
  int FalsePositives() const { return false_positives_; }
  double Recall() const { return truth_ == 0 ? 0 : static_cast<double>(matched_) / truth_; }
  double Precision() const { return reports_ == 0 ? 0 : static_cast<double>(reports_ - false_positives_) / reports_; }
  // Median ground distance (metres) between matched reports and the true positions; -1 when none.
  double MedianGeoErrorM() const;
  double GeoErrorQuantileM(double q) const;

  // Diagnostics: moving people and vehicles (truth, matched); false positives on parked vehicles, within
  // kNearPx of a moving object's box centre (a displaced or split report), and elsewhere; missed moving objects
  // by the image third their centre lies in (0 top, 2 bottom).
  static constexpr double kNearPx = 30.0;
  int PeopleTruth() const { return people_truth_; }
  int PeopleMatched() const { return people_matched_; }
  int VehiclesTruth() const { return truth_ - people_truth_; }
  int VehiclesMatched() const { return matched_ - people_matched_; }
  int FalseOnParked() const { return fp_parked_; }
  int FalseNearMoving() const { return fp_near_; }
  int MissedInThird(int k) const { return missed_third_[k]; }

 private:
  int truth_ = 0;
  int reports_ = 0;
  int matched_ = 0;
  int false_positives_ = 0;
  std::vector<double> geo_errors_m_;
  int people_truth_ = 0, people_matched_ = 0, fp_parked_ = 0, fp_near_ = 0;
  int missed_third_[3] = {0, 0, 0};
};

}  // namespace didban::sim

#endif  // DIDBAN_SIM_DRONE_EVAL_H_
