#include "trace/trace_view.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>

namespace thaw::trace {

namespace {

// Causal position: the HLC stamp when there is one, else the physical start (an HLC's l is a
// physical time, so the two compare sensibly when a span lacks a stamp).
HlcStamp CausalKey(const Span& s) {
  return s.hlc_start.empty() ? HlcStamp{s.start_ns, 0} : s.hlc_start;
}

std::string Ms(int64_t ns) {
  char buf[32];
  snprintf(buf, sizeof buf, "%+.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

}  // namespace

TraceView BuildView(const std::vector<Span>& spans) {
  TraceView view;
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < spans.size(); ++i) by_id.emplace(spans[i].id, i);
  auto causal_less = [&spans](size_t a, size_t b) {
    HlcStamp ka = CausalKey(spans[a]), kb = CausalKey(spans[b]);
    return ka != kb ? ka < kb : spans[a].start_ns < spans[b].start_ns;
  };
  std::vector<std::vector<size_t>> children(spans.size());
  std::vector<size_t> roots;
  std::vector<size_t> parent(spans.size(), std::numeric_limits<size_t>::max());
  for (size_t i = 0; i < spans.size(); ++i) {
    auto it = by_id.find(spans[i].parent);
    if (spans[i].parent.empty() || it == by_id.end() || it->second == i) {
      roots.push_back(i);
    } else {
      parent[i] = it->second;
      children[it->second].push_back(i);
    }
  }
  std::sort(roots.begin(), roots.end(), causal_less);
  for (auto& c : children) std::sort(c.begin(), c.end(), causal_less);

  // Depth-first; `seen` guards against parent cycles in what recorders sent.
  std::vector<bool> seen(spans.size(), false);
  std::function<void(size_t, int)> walk = [&](size_t i, int depth) {
    if (seen[i]) return;
    seen[i] = true;
    view.tree.push_back({i, depth});
    for (size_t c : children[i]) walk(c, depth + 1);
  };
  for (size_t r : roots) walk(r, 0);
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!seen[i]) walk(i, 0);  // a cycle: shown at the top level
  }

  for (size_t i = 0; i < spans.size(); ++i) {
    view.causal_order.push_back(i);
    view.timestamp_order.push_back(i);
  }
  std::sort(view.causal_order.begin(), view.causal_order.end(), causal_less);
  std::stable_sort(view.timestamp_order.begin(), view.timestamp_order.end(),
                   [&spans](size_t a, size_t b) { return spans[a].start_ns < spans[b].start_ns; });

  for (size_t i = 0; i < spans.size(); ++i) {
    // The ancestor whose start this span's clock puts it furthest before.
    Inversion worst{0, i, 0};
    size_t guard = 0;
    for (size_t a = parent[i]; a != std::numeric_limits<size_t>::max() && guard < spans.size();
         a = parent[a], ++guard) {
      int64_t by = spans[a].start_ns - spans[i].start_ns;
      if (by > worst.by_ns) worst = {a, i, by};
    }
    if (worst.by_ns > 0) view.inversions.push_back(worst);
  }
  return view;
}

std::string FormatTree(const std::string& root, const std::vector<Span>& spans,
                       const TraceView& view) {
  std::string out = "trace " + root + ": " + std::to_string(spans.size()) + " span" +
                    (spans.size() == 1 ? "" : "s") + ", in causal order (hybrid logical clocks)\n";
  if (spans.empty()) return out;
  int64_t base = spans[0].start_ns;
  for (const Span& s : spans) base = std::min(base, s.start_ns);
  std::map<size_t, const Inversion*> inverted;
  for (const Inversion& inv : view.inversions) inverted[inv.span] = &inv;
  char line[512];
  snprintf(line, sizeof line, "  %-44s %-16s %11s %10s  %s\n", "span", "id", "start ms", "dur ms",
           "hlc start");
  out += line;
  for (const TreeLine& t : view.tree) {
    const Span& s = spans[t.span];
    std::string label = std::string(static_cast<size_t>(t.depth) * 2, ' ') + s.kind + " " + s.name;
    if (s.attributes.contains("cold") && s.attributes["cold"].is_boolean() &&
        s.attributes["cold"].get<bool>()) {
      label += " (cold)";
    }
    if (label.size() > 44) label = label.substr(0, 41) + "...";
    snprintf(line, sizeof line, "  %-44s %-16s %11s %10.3f  %s", label.c_str(), s.id.c_str(),
             Ms(s.start_ns - base).c_str(), static_cast<double>(s.end_ns - s.start_ns) / 1e6,
             s.hlc_start.empty() ? "-" : FormatHlc(s.hlc_start).c_str());
    out += line;
    if (auto it = inverted.find(t.span); it != inverted.end()) {
      out += "  <- clock says " + Ms(-it->second->by_ns).substr(1) + " ms before " +
             spans[it->second->ancestor].name;
    }
    out += '\n';
  }
  if (view.inversions.empty()) {
    out += "timestamps agree with the causal order\n";
  } else {
    bool one = view.inversions.size() == 1;
    out += std::to_string(view.inversions.size()) + (one ? " span starts" : " spans start") +
           " before a causal ancestor by its recorder's clock: timestamp order is wrong there; "
           "the tree and HLC order are not\n";
  }
  return out;
}

nlohmann::json ViewJson(const std::string& root, const std::vector<Span>& spans,
                        const TraceView& view) {
  nlohmann::json list = nlohmann::json::array();
  for (const Span& s : spans) {
    list.push_back({{"id", s.id},
                    {"parent", s.parent},
                    {"name", s.name},
                    {"service", s.service},
                    {"kind", s.kind},
                    {"startNs", s.start_ns},
                    {"endNs", s.end_ns},
                    {"hlcStart", s.hlc_start.empty() ? "" : FormatHlc(s.hlc_start)},
                    {"hlcEnd", s.hlc_end.empty() ? "" : FormatHlc(s.hlc_end)},
                    {"attributes", s.attributes}});
  }
  auto ids = [&spans](const std::vector<size_t>& order) {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i : order) a.push_back(spans[i].id);
    return a;
  };
  nlohmann::json tree = nlohmann::json::array();
  for (const TreeLine& t : view.tree)
    tree.push_back({{"id", spans[t.span].id}, {"depth", t.depth}});
  nlohmann::json inversions = nlohmann::json::array();
  for (const Inversion& inv : view.inversions) {
    inversions.push_back(
        {{"ancestor", spans[inv.ancestor].id}, {"span", spans[inv.span].id}, {"byNs", inv.by_ns}});
  }
  return {{"traceId", root},
          {"spans", list},
          {"tree", tree},
          {"causalOrder", ids(view.causal_order)},
          {"timestampOrder", ids(view.timestamp_order)},
          {"inversions", inversions}};
}

}  // namespace thaw::trace
