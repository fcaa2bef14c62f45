#include "trace/segment.h"

#include <cmath>
#include <optional>

namespace thaw::trace {

namespace {

constexpr int kMaxDepth = 8;
constexpr size_t kMaxSpans = 1000;

bool IsHex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsTraceId(const std::string& s) {
  return s.size() == 35 && s.compare(0, 2, "1-") == 0 && s[10] == '-' && IsHex(s.substr(2, 8), 8) &&
         IsHex(s.substr(11), 24);
}

// nlohmann's value() throws on a member of another type; thaw code does not throw.
std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Epoch seconds as X-Ray writes them (microsecond digits; a double holds ~0.2 us at today's
// epoch), to nanoseconds without the product's rounding error. nullopt outside 1970..2255, where
// the nanoseconds would not fit an int64 (found by tests/fuzz/xray_segment_fuzz).
std::optional<int64_t> Nanos(double seconds) {
  if (!(seconds >= 0 && seconds < 9e9)) return std::nullopt;
  double whole = std::floor(seconds);
  return static_cast<int64_t>(whole) * 1'000'000'000 +
         static_cast<int64_t>(std::llround((seconds - whole) * 1e6)) * 1000;
}

Status Read(const nlohmann::json& j, const std::string& parent, const std::string& service,
            int depth, std::vector<Span>& out) {
  if (!j.is_object()) return Status::InvalidArgument("a segment must be a JSON object");
  if (depth > kMaxDepth) return Status::InvalidArgument("subsegments nest too deep");
  if (out.size() >= kMaxSpans) return Status::InvalidArgument("too many subsegments");
  Span s;
  s.kind = "segment";
  s.id = Str(j, "id");
  if (!IsHex(s.id, 16)) return Status::InvalidArgument("id must be 16 lowercase hex digits");
  s.name = Str(j, "name");
  if (s.name.empty() || s.name.size() > 200) {
    return Status::InvalidArgument("name must have 1 to 200 characters");
  }
  s.service = service.empty() ? s.name : service;
  s.parent = depth == 0 ? Str(j, "parent_id") : parent;
  if (!s.parent.empty() && !IsHex(s.parent, 16)) {
    return Status::InvalidArgument("parent_id must be 16 lowercase hex digits");
  }
  auto start = j.find("start_time");
  if (start == j.end() || !start->is_number()) {
    return Status::InvalidArgument("start_time must be a number (epoch seconds)");
  }
  std::optional<int64_t> start_ns = Nanos(start->get<double>());
  if (!start_ns) return Status::InvalidArgument("start_time is out of range");
  s.start_ns = *start_ns;
  auto end = j.find("end_time");
  if (end != j.end() && end->is_number()) {
    std::optional<int64_t> end_ns = Nanos(end->get<double>());
    if (!end_ns) return Status::InvalidArgument("end_time is out of range");
    s.end_ns = *end_ns;
  } else if (auto p = j.find("in_progress"); p != j.end() && p->is_boolean() && p->get<bool>()) {
    s.end_ns = s.start_ns;
    s.attributes["inProgress"] = true;
  } else {
    return Status::InvalidArgument("end_time must be a number, or in_progress true");
  }
  if (auto a = j.find("annotations"); a != j.end() && a->is_object()) {
    for (const auto& [k, v] : a->items()) {
      if (k == "thaw_hlc_start" && v.is_string()) {
        if (auto h = ParseHlc(v.get<std::string>())) s.hlc_start = *h;
      } else if (k == "thaw_hlc_end" && v.is_string()) {
        if (auto h = ParseHlc(v.get<std::string>())) s.hlc_end = *h;
      } else if (v.is_primitive() && !v.is_null()) {
        s.attributes[k] = v;
      }
    }
  }
  if (j.contains("origin") && j["origin"].is_string()) s.attributes["origin"] = j["origin"];
  out.push_back(std::move(s));
  std::string id = out.back().id;
  std::string svc = out.back().service;
  if (auto subs = j.find("subsegments"); subs != j.end()) {
    if (!subs->is_array()) return Status::InvalidArgument("subsegments must be an array");
    for (const auto& sub : *subs) THAW_RETURN_IF_ERROR(Read(sub, id, svc, depth + 1, out));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SegmentDocument> ParseSegmentDocument(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("the segment document is not a JSON object");
  }
  SegmentDocument doc;
  doc.trace_root = Str(j, "trace_id");
  if (!IsTraceId(doc.trace_root)) {
    return Status::InvalidArgument("trace_id must look like 1-5759e988-bd862e3fe1be46a994272793");
  }
  THAW_RETURN_IF_ERROR(Read(j, "", "", 0, doc.spans));
  return doc;
}

}  // namespace thaw::trace
