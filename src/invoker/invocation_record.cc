#include "invoker/invocation_record.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace thaw::invoker {

records::InvocationRecord MakeRecord(const Invocation& inv, const RecordFacts& facts) {
  records::InvocationRecord r;
  r.request_id = inv.event.request_id;
  r.function = facts.config.name;
  r.version = facts.version;
  r.mechanism = facts.config.mechanism;
  r.architecture = facts.config.architecture;
  r.environment = facts.environment;
  r.memory_mb = facts.config.memory_mb;
  r.error_type = facts.error_type.empty() ? std::string_view(inv.error_type) : facts.error_type;
  r.trace = inv.event.trace_id;
  r.hlc_arrived = inv.hlc_arrived;
  r.hlc_answered = inv.hlc_answered;
  r.cold = inv.cold;
  r.async = inv.async;
  r.status = facts.status == "timeout"                     ? records::RecordStatus::kTimeout
             : !facts.status.empty() || inv.function_error ? records::RecordStatus::kError
                                                           : records::RecordStatus::kSuccess;
  r.arrived_ns = inv.arrived_ns;
  r.acquired_ns = inv.received_ns;
  r.ready_ns = inv.ready_ns;
  // Duration's start, just before the event is written to /next (after a re-init inside the
  // invocation, the init's end): no clock read of its own.
  r.sent_ns = std::max(inv.delivered_ns, inv.ready_ns);
  r.responded_ns = inv.responded_ns;
  r.answered_ns = inv.answered_ns;
  r.ended_ns = facts.ended_ns;
  r.init_ns = inv.init_ns;
  r.freeze_ns = facts.freeze_ns;
  r.duration_ns = facts.duration_ns;
  r.billed_ms = facts.billed_ms;
  r.max_memory_mb = facts.max_memory_mb;
  r.cpu_ns = facts.cpu_ns;
  const records::EventSource& src = inv.source;
  r.source = {.mapping = src.mapping,
              .source_arn = src.source_arn,
              .shard = src.shard,
              .first_seq = src.first_seq,
              .last_seq = src.last_seq,
              .batch_size = src.batch_size,
              .attempt = src.attempt,
              .bisected = src.bisected,
              .invoked_ms = src.invoked_ms,
              .first_arrival_ms = src.first_arrival_ms,
              .last_arrival_ms = src.last_arrival_ms};
  return r;
}

std::string ErrorTypeOf(std::string_view header, std::string_view body) {
  if (!header.empty() || body.size() > 65536) return std::string(header);
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  auto type = json.find("errorType");
  return type != json.end() && type->is_string() ? type->get<std::string>() : "";
}

}  // namespace thaw::invoker
