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

// A header line and one line per row, laid out as above (rows shorter than the header leave cells empty).
std::string FormatTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// One row per named sequence: a first column `first_column` with the name, then the columns of each row
// (all rows must have the same column names; the first row's are used).
std::string FormatNamedRows(const std::string& first_column,
                            const std::vector<std::pair<std::string, TableColumns>>& rows);

// "52.65": a ratio as a percentage with two decimals.
std::string Percent(double ratio);

// Image-plane summary: HOTA DetA AssA MOTA MOTP IDF1 IDP IDR IDSW FP FN (ratios in percent).
TableColumns MotSummaryColumns(const MotMetrics& m);

// Ground-plane summary: MODA MOTA MOTP(m) IDF1 HOTA DetA AssA IDSW FP FN; MOTP(m) is the mean match distance.
TableColumns GroundSummaryColumns(const MotMetrics& m, double threshold_m);

// Every number: {"clear": {...}, "identity": {...}, "hota": {... "per_alpha": {...}}, "counts": {...}}; ratios
// in percent at full precision, counts as integers.
nlohmann::json MetricsToJson(const MotMetrics& m);

// MetricsToJson plus "clear"."MOTP_m": the mean match distance in metres, and "threshold_m".
nlohmann::json GroundMetricsToJson(const MotMetrics& m, double threshold_m);

}  // namespace didban::eval

#endif  // DIDBAN_EVAL_REPORT_H_
