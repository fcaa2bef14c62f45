#include "trace/export.h"

#include <algorithm>
#include <map>

#include "trace/trace_header.h"

namespace thaw::trace {

namespace {

double Micros(int64_t ns, int64_t base) { return static_cast<double>(ns - base) / 1000.0; }

nlohmann::json OtlpValue(const nlohmann::json& v) {
  if (v.is_boolean()) return {{"boolValue", v.get<bool>()}};
  if (v.is_number_integer()) return {{"intValue", std::to_string(v.get<int64_t>())}};
  if (v.is_number()) return {{"doubleValue", v.get<double>()}};
  if (v.is_string()) return {{"stringValue", v.get<std::string>()}};
  return {{"stringValue", v.dump()}};
}

nlohmann::json OtlpAttr(const std::string& key, const nlohmann::json& v) {
  return {{"key", key}, {"value", OtlpValue(v)}};
}

bool Failed(const Span& s) {
  auto it = s.attributes.find("status");
  return it != s.attributes.end() && it->is_string() && (*it == "error" || *it == "timeout");
}

}  // namespace

nlohmann::json ChromeTraceJson(const std::string& root, const std::vector<Span>& spans) {
  int64_t base = 0;
  for (const Span& s : spans) {
    if (base == 0 || s.start_ns < base) base = s.start_ns;
  }
  std::map<std::string, int> pids;
  nlohmann::json events = nlohmann::json::array();
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < spans.size(); ++i) by_id.emplace(spans[i].id, i);
  auto pid_of = [&](const Span& s) {
    auto [it, added] = pids.emplace(s.service, static_cast<int>(pids.size()) + 1);
    if (added) {
      events.push_back({{"ph", "M"},
                        {"name", "process_name"},
                        {"pid", it->second},
                        {"args", {{"name", s.service}}}});
    }
    return it->second;
  };
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    int pid = pid_of(s);
    int tid = static_cast<int>(i) + 1;
    events.push_back({{"ph", "M"},
                      {"name", "thread_name"},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"name", s.kind + " " + s.name}}}});
    nlohmann::json args = s.attributes;
    args["spanId"] = s.id;
    args["parentId"] = s.parent;
    if (!s.hlc_start.empty()) args["hlcStart"] = FormatHlc(s.hlc_start);
    if (!s.hlc_end.empty()) args["hlcEnd"] = FormatHlc(s.hlc_end);
    events.push_back({{"ph", "X"},
                      {"name", s.name},
                      {"cat", s.kind},
                      {"ts", Micros(s.start_ns, base)},
                      {"dur", Micros(std::max(s.end_ns, s.start_ns), s.start_ns)},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", args}});
  }
  // Flow arrows: from inside the parent's slice (where the child began, clamped to it) to the
  // child's start.
  int flow = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    auto it = by_id.find(spans[i].parent);
    if (spans[i].parent.empty() || it == by_id.end() || it->second == i) continue;
    const Span& p = spans[it->second];
    const Span& c = spans[i];
    int64_t from = std::clamp(c.start_ns, p.start_ns, std::max(p.start_ns, p.end_ns));
    ++flow;
    events.push_back({{"ph", "s"},
                      {"id", flow},
                      {"name", "causes"},
                      {"cat", "flow"},
                      {"ts", Micros(from, base)},
                      {"pid", pid_of(p)},
                      {"tid", static_cast<int>(it->second) + 1}});
    events.push_back({{"ph", "f"},
                      {"bp", "e"},
                      {"id", flow},
                      {"name", "causes"},
                      {"cat", "flow"},
                      {"ts", Micros(c.start_ns, base)},
                      {"pid", pid_of(c)},
                      {"tid", static_cast<int>(i) + 1}});
  }
  return {{"traceEvents", events},
          {"displayTimeUnit", "ns"},
          {"otherData", {{"traceId", root}, {"baseUnixNs", base}, {"producer", "thaw trace"}}}};
}

nlohmann::json OtlpJson(const std::string& root, const std::vector<Span>& spans) {
  std::string trace_id = OtelTraceId(root);
  std::map<std::string, nlohmann::json> by_service;
  for (const Span& s : spans) {
    nlohmann::json attrs = nlohmann::json::array();
    attrs.push_back(OtlpAttr("thaw.kind", s.kind));
    attrs.push_back(OtlpAttr("aws.xray.trace_id", root));
    if (!s.hlc_start.empty()) attrs.push_back(OtlpAttr("thaw.hlc.start", FormatHlc(s.hlc_start)));
    if (!s.hlc_end.empty()) attrs.push_back(OtlpAttr("thaw.hlc.end", FormatHlc(s.hlc_end)));
    for (const auto& [k, v] : s.attributes.items()) attrs.push_back(OtlpAttr("thaw." + k, v));
    nlohmann::json span = {{"traceId", trace_id},
                           {"spanId", s.id},
                           {"name", s.name},
                           {"kind", s.kind == "invocation" ? 2 : 1},  // SERVER, INTERNAL
                           {"startTimeUnixNano", std::to_string(s.start_ns)},
                           {"endTimeUnixNano", std::to_string(std::max(s.end_ns, s.start_ns))},
                           {"attributes", attrs},
                           {"status", {{"code", Failed(s) ? 2 : 0}}}};  // ERROR or UNSET
    if (!s.parent.empty()) span["parentSpanId"] = s.parent;
    by_service[s.service].push_back(std::move(span));
  }
  nlohmann::json resource_spans = nlohmann::json::array();
  for (auto& [service, list] : by_service) {
    resource_spans.push_back(
        {{"resource", {{"attributes", nlohmann::json::array({OtlpAttr("service.name", service)})}}},
         {"scopeSpans",
          nlohmann::json::array({{{"scope", {{"name", "thaw"}}}, {"spans", std::move(list)}}})}});
  }
  return {{"resourceSpans", resource_spans}};
}

}  // namespace thaw::trace
