#include "source/source_options.h"

#include "core/params.h"

namespace didban::source {
namespace {

absl::Status Bad(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("source option ", field, ": ", what));
}

}  // namespace

absl::Status BackoffOptions::Validate() const {
  if (initial_us <= 0) return Bad("backoff.initial_us", absl::StrCat("must be > 0, got ", initial_us));
  if (max_us < initial_us) {
    return Bad("backoff.max_us", absl::StrCat("must be >= initial_us (", initial_us, "), got ", max_us));
  }
  if (!(multiplier >= 1.0)) return Bad("backoff.multiplier", absl::StrCat("must be >= 1, got ", multiplier));
  if (!(jitter >= 0.0 && jitter < 1.0)) return Bad("backoff.jitter", absl::StrCat("must be in [0, 1), got ", jitter));
  if (after_loss_max_us <= 0) {
    return Bad("backoff.after_loss_max_us", absl::StrCat("must be > 0, got ", after_loss_max_us));
  }
  if (after_loss_window_us < 0) {
    return Bad("backoff.after_loss_window_us", absl::StrCat("must be >= 0, got ", after_loss_window_us));
  }
  return absl::OkStatus();
}

absl::Status SourceOptions::Validate() const {
  if (max_width < 0) return Bad("max_width", absl::StrCat("must be >= 0, got ", max_width));
  if (decode_threads < 0 || decode_threads > 64) {
    return Bad("decode_threads", absl::StrCat("must be in [0, 64] (0 = FFmpeg's choice), got ", decode_threads));
  }
  if (!(sequence_fps > 0)) return Bad("sequence_fps", absl::StrCat("must be > 0, got ", sequence_fps));
  if (rtsp_transport != "tcp" && rtsp_transport != "udp") {
    return Bad("rtsp_transport", absl::StrCat("must be \"tcp\" or \"udp\", got \"", rtsp_transport, "\""));
  }
  if (open_timeout_us <= 0) return Bad("open_timeout_us", absl::StrCat("must be > 0, got ", open_timeout_us));
  if (read_timeout_us <= 0) return Bad("read_timeout_us", absl::StrCat("must be > 0, got ", read_timeout_us));
  if (max_reconnects < -1) return Bad("max_reconnects", absl::StrCat("must be >= -1, got ", max_reconnects));
  if (pool_size < 1) return Bad("pool_size", "must be >= 1");
  return backoff.Validate();
}

absl::StatusOr<SourceOptions> ParseSourceOptions(const nlohmann::json& params) {
  const std::string where = "source";
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(
      params,
      {"uri", "camera", "max_width", "keep_full", "decode_threads", "live", "sequence_fps", "rtsp_transport",
       "open_timeout_s", "read_timeout_s", "retry_open", "max_reconnects", "backoff_initial_s", "backoff_max_s",
       "backoff_multiplier", "backoff_jitter", "backoff_after_loss_max_s", "backoff_after_loss_window_s", "pool_size"},
      where));
  SourceOptions o;
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "camera", &o.camera, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_width", &o.max_width, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "keep_full", &o.keep_full, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "decode_threads", &o.decode_threads, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "live", &o.live, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "sequence_fps", &o.sequence_fps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "rtsp_transport", &o.rtsp_transport, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "retry_open", &o.retry_open, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_reconnects", &o.max_reconnects, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "backoff_multiplier", &o.backoff.multiplier, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "backoff_jitter", &o.backoff.jitter, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "pool_size", &o.pool_size, where));
  struct Seconds {
    const char* key;
    TimeUs* out;
  };
  for (const Seconds& s :
       {Seconds{"open_timeout_s", &o.open_timeout_us}, Seconds{"read_timeout_s", &o.read_timeout_us},
        Seconds{"backoff_initial_s", &o.backoff.initial_us}, Seconds{"backoff_max_s", &o.backoff.max_us},
        Seconds{"backoff_after_loss_max_s", &o.backoff.after_loss_max_us},
        Seconds{"backoff_after_loss_window_s", &o.backoff.after_loss_window_us}}) {
    double seconds = UsToSeconds(*s.out);
    DIDBAN_RETURN_IF_ERROR(ReadParam(params, s.key, &seconds, where));
    *s.out = SecondsToUs(seconds);
  }
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

}  // namespace didban::source
