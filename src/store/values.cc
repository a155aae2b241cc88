// Value helpers of the store: event ids, validation, statistics rows and their CSV.
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "store/store.h"

namespace didban::store {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

void Fnv(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  h ^= 0xff;  // field separator, so ("ab","c") and ("a","bc") differ
  h *= kFnvPrime;
}

const auto& Num = rules::IntervalStats::CsvNumber;
const auto& Mean = rules::IntervalStats::MeanOf;

absl::Status CheckLimit(const char* what, int limit, int max) {
  if (limit < 1 || limit > max) {
    return absl::InvalidArgumentError(absl::StrCat(what, ".limit ", limit, " is outside 1..", max));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(const char* what, const std::optional<TimeUs>& from, const std::optional<TimeUs>& to) {
  if (from && to && *to < *from) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": to_us ", *to, " is before from_us ", *from));
  }
  return absl::OkStatus();
}

}  // namespace

std::string MakeEventId(const Event& e) {
  uint64_t h = kFnvOffset;
  Fnv(h, e.camera);
  Fnv(h, std::to_string(e.time_us));
  Fnv(h, e.type);
  Fnv(h, e.rule);
  Fnv(h, std::to_string(e.track_id));
  Fnv(h, std::to_string(e.other_track_id));
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string_view ClipStateName(ClipState s) {
  switch (s) {
    case ClipState::kPending:
      return "pending";
    case ClipState::kReady:
      return "ready";
    case ClipState::kFailed:
      return "failed";
  }
  return "pending";
}

absl::Status EventQuery::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckLimit("EventQuery", limit, 10000));
  return CheckRange("EventQuery", from_us, to_us);
}
absl::Status TrackQuery::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckLimit("TrackQuery", limit, 1000000));
  return CheckRange("TrackQuery", from_us, to_us);
}
absl::Status StatsQuery::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckLimit("StatsQuery", limit, 1000000));
  return CheckRange("StatsQuery", from_us, to_us);
}
absl::Status SegmentQuery::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckLimit("SegmentQuery", limit, 1000000));
  return CheckRange("SegmentQuery", from_us, to_us);
}
absl::Status ClipQuery::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckLimit("ClipQuery", limit, 100000));
  return CheckRange("ClipQuery", from_us, to_us);
}

absl::Status StoreOptions::Validate() const {
  if (queue_capacity < 1) return absl::InvalidArgumentError("store: queue_capacity must be at least 1");
  if (flush_interval_us < 1000 || flush_interval_us > 10 * kUsPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: flush_interval_us ", flush_interval_us, " is outside 1000..10000000"));
  }
  if (max_batch < 1) return absl::InvalidArgumentError("store: max_batch must be at least 1");
  if (reader_connections < 1 || reader_connections > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: reader_connections ", reader_connections, " is outside 1..64"));
  }
  if (track_min_interval_us < 0) return absl::InvalidArgumentError("store: track_min_interval_us is negative");
  if (max_downsampled_tracks < 1) return absl::InvalidArgumentError("store: max_downsampled_tracks must be >= 1");
  if (max_write_retries < 0) return absl::InvalidArgumentError("store: max_write_retries is negative");
  if (busy_timeout_us < 0) return absl::InvalidArgumentError("store: busy_timeout_us is negative");
  return absl::OkStatus();
}

std::vector<StatRow> StatRowsFromBins(const std::deque<rules::StatsBin>& bins, const rules::IntervalStatsOptions& o,
                                      const std::string& camera) {
  std::vector<StatRow> out;
  for (const rules::StatsBin& b : bins) {
    auto row = [&](const std::string& rule, const std::string& metric, const std::string& cls, const std::string& dir,
                   double v) {
      out.push_back(StatRow{b.start_us, b.start_us + o.interval_us, camera, rule, metric, cls, dir, v});
    };
    for (const auto& [rule, m] : b.counts) {
      for (const auto& [key, n] : m) row(rule, "count", key.first, key.second, static_cast<double>(n));
    }
    for (const auto& [rule, v] : b.speeds_kmh) {
      row(rule, "speed_mean_kmh", "", "", Mean(v));
      row(rule, absl::StrCat("speed_p", Num(o.percentile), "_kmh"), "", "",
          rules::IntervalStats::Percentile(v, o.percentile));
      row(rule, "speed_n", "", "", static_cast<double>(v.size()));
    }
    for (const auto& [rule, r] : b.occupancy) {
      row(rule, "occupancy_mean", "", "", r.Mean());
      row(rule, "occupancy_max", "", "", r.max);
    }
    for (const auto& [rule, r] : b.density) row(rule, "density_mean", "", "", r.Mean());
    for (const auto& [type, n] : b.events) row("", type, "", "", static_cast<double>(n));
  }
  return out;
}

std::string StatRowsToCsv(const std::vector<StatRow>& rows) {
  std::string out = "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n";
  for (const StatRow& r : rows) {
    absl::StrAppend(&out, Num(UsToSeconds(r.start_us)), ",", Num(UsToSeconds(r.end_us)), ",", r.camera, ",", r.rule,
                    ",", r.metric, ",", r.object_class, ",", r.direction, ",", Num(r.value), "\n");
  }
  return out;
}

}  // namespace didban::store
