// `didban serve`'s flags and its whole run (app/cmd_serve.cc), shared with the commands that run a site the same way
// (`didban demo`): load the site, open the store, start the runtime, the recorders and the HTTP server, wait for
// SIGINT/SIGTERM, stop cleanly.
#ifndef DIDBAN_APP_SERVE_H_
#define DIDBAN_APP_SERVE_H_

#include <functional>
#include <string>
#include <vector>

#include "app/serve_relay.h"
#include "didban/status.h"

namespace didban::app {

struct ServeFlags {
  std::string site;
  std::string listen = "127.0.0.1:8080";
  std::string data;
  std::string store;
  double offline_after_s = 10;
  double speed = 1;
  bool no_loop = false;
  bool no_record = false;
  std::vector<std::string> groups;
  double status_every_s = 0;
  // The built web UI served at / (`--web`): "" finds web/dist beside the binary or in the source tree; "none": no UI.
  std::string web;
  // Live fMP4 fragments (`--live-fragment-ms`): 0 = one per frame; > 0 = fragments spanning this much video (fewer
  // writes per viewer, at most this much more latency); server/live_video.h.
  double live_fragment_ms = 0;
  // Access control (`--auth`): "on", "off" (loopback only) or "auto" (on once <data>/auth.db has users); see
  // app/serve_auth.h.
  std::string auth = "auto";
  // TLS (`--tls-cert FILE --tls-key FILE`, both or neither): every route is served over HTTPS/WSS only (PEM
  // certificate chain and unencrypted PEM private key; server/tls.h). "" and "": plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  // Called once the server listens, with its base URL ("http://127.0.0.1:8080", "https://..." under TLS); may be
  // empty.
  std::function<void(const std::string& url)> on_listening;
  // --role edge|center and the NATS flags (app/serve_relay.h); default: single node, no broker.
  RelayFlags relay;
};

// Runs the site until SIGINT or SIGTERM (blocked in every thread and awaited; call it from the main thread before
// starting other threads). Errors name the file, flag or field.
absl::Status RunServe(const ServeFlags& flags);

}  // namespace didban::app

#endif  // DIDBAN_APP_SERVE_H_
