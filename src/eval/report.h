// Presentation of tracking metrics: a fixed-width text table and a JSON document. No I/O.
#ifndef DIDBAN_EVAL_REPORT_H_
#define DIDBAN_EVAL_REPORT_H_

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/mot_metrics.h"

namespace didban::eval {

// Columns of a table: name and already-formatted value.
using TableColumns = std::vector<std::pair<std::string, std::string>>;

// Two lines (names, values), columns left-aligned and separated by two spaces, each line ending in '\n'.
std::string FormatTable(const TableColumns& columns);

// "52.65": a ratio as a percentage with two decimals.
std::string Percent(double ratio);

// Image-plane summary: HOTA DetA AssA MOTA MOTP IDF1 IDP IDR IDSW FP FN (ratios in percent).
TableColumns MotSummaryColumns(const MotMetrics& m);

// Ground-plane summary: MODA MOTA MOTP(m) IDF1 HOTA DetA AssA IDSW FP FN; MOTP(m) is the mean match distance.
TableColumns GroundSummaryColumns(const MotMetrics& m, double threshold_m);

// Every number: {"clear": {...}, "identity": {...}, "hota": {... "per_alpha": {...}}, "counts": {...}}; ratios
// in percent at full precision, counts as integers.
nlohmann::json MetricsToJson(const MotMetrics& m);

}  // namespace didban::eval

#endif  // DIDBAN_EVAL_REPORT_H_
