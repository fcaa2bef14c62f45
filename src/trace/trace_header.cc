#include "trace/trace_header.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "base/codec.h"

namespace thaw::trace {

namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

TraceContext ParseTraceHeader(std::string_view header) {
  TraceContext out;
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view part = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Root") {
      out.root = value;
    } else if (key == "Parent") {
      out.parent = value;
    } else if (key == "Sampled") {
      out.sampled = value;
    } else if (key == "Lineage") {
      out.lineage = value;
    } else if (key == "Hlc") {
      out.hlc = ParseHlc(value);
    } else {
      if (!out.extra.empty()) out.extra += ';';
      out.extra += part;
    }
  }
  return out;
}

std::string FormatTraceHeader(const TraceContext& context) {
  std::string out;
  out.reserve(128);
  auto add = [&out](std::string_view key, std::string_view value) {
    if (!out.empty()) out += ';';
    out += key;
    out += '=';
    out += value;
  };
  if (!context.root.empty()) add("Root", context.root);
  if (!context.parent.empty()) add("Parent", context.parent);
  if (!context.sampled.empty()) add("Sampled", context.sampled);
  if (!context.lineage.empty()) add("Lineage", context.lineage);
  if (!context.extra.empty()) {
    if (!out.empty()) out += ';';
    out += context.extra;
  }
  if (context.hlc) {
    if (!out.empty()) out += ';';
    out += "Hlc=";
    AppendHlc(*context.hlc, out);
  }
  return out;
}

TraceContext NewTrace(int64_t realtime_ms) {
  char epoch[16];
  snprintf(epoch, sizeof epoch, "%08llx", static_cast<unsigned long long>(realtime_ms / 1000));
  TraceContext t;
  t.root = std::string("1-") + epoch + "-" + RandomHex(12);
  t.parent = RandomHex(8);
  t.sampled = "0";
  return t;
}

std::string SpanIdFor(std::string_view request_id) {
  std::string out;
  out.reserve(16);
  for (char c : request_id) {
    if (c == '-') continue;
    if (!IsLowerHex(std::string_view(&c, 1))) break;
    out += c;
    if (out.size() == 16) return out;
  }
  char hashed[17];
  snprintf(hashed, sizeof hashed, "%016llx",
           static_cast<unsigned long long>(std::hash<std::string_view>{}(request_id)));
  return hashed;
}

std::string ForCallee(const TraceContext& caller, std::string_view span_id, HlcStamp stamp) {
  // On every invocation's path, twice: one allocation, no TraceContext copy.
  std::string out;
  out.reserve(caller.root.size() + span_id.size() + caller.sampled.size() + caller.lineage.size() +
              caller.extra.size() + 72);
  auto add = [&out](std::string_view key, std::string_view value) {
    if (!out.empty()) out += ';';
    out += key;
    out += '=';
    out += value;
  };
  if (!caller.root.empty()) add("Root", caller.root);
  if (!span_id.empty()) add("Parent", span_id);
  if (!caller.sampled.empty()) add("Sampled", caller.sampled);
  if (!caller.lineage.empty()) add("Lineage", caller.lineage);
  if (!caller.extra.empty()) {
    if (!out.empty()) out += ';';
    out += caller.extra;
  }
  if (!out.empty()) out += ';';
  out += "Hlc=";
  AppendHlc(stamp, out);
  return out;
}

std::string LineageHash(std::string_view function_arn) {
  return Sha256Hex(function_arn).substr(0, 8);
}

namespace {

// Calls `entry` for each '|'-separated entry of a Lineage value.
template <typename F>
void ForEachLineageEntry(std::string_view lineage, F entry) {
  while (!lineage.empty()) {
    size_t bar = lineage.find('|');
    entry(lineage.substr(0, bar));
    if (bar == std::string_view::npos) break;
    lineage.remove_prefix(bar + 1);
  }
}

// The count of a "<hash>:<count>" entry for `hash`; -1 when the entry is another's or malformed.
int EntryCount(std::string_view entry, std::string_view hash) {
  if (entry.size() <= hash.size() + 1 || !entry.starts_with(hash) || entry[hash.size()] != ':') {
    return -1;
  }
  std::string_view digits = entry.substr(hash.size() + 1);
  if (digits.size() > 9) return -1;  // no overflow; a real count is far smaller
  int count = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    count = count * 10 + (c - '0');
  }
  return count;
}

}  // namespace

int LineageCount(std::string_view lineage, std::string_view hash) {
  int found = 0;
  ForEachLineageEntry(
      lineage, [&](std::string_view entry) { found = std::max(found, EntryCount(entry, hash)); });
  return found;
}

std::string SetLineageCount(std::string_view lineage, std::string_view hash, int count) {
  std::string out;
  out.reserve(lineage.size() + hash.size() + 12);
  bool set = false;
  ForEachLineageEntry(lineage, [&](std::string_view entry) {
    if (entry.empty()) return;
    if (!out.empty()) out += '|';
    if (!set && EntryCount(entry, hash) >= 0) {
      out.append(hash).append(":").append(std::to_string(count));
      set = true;
    } else {
      out += entry;
    }
  });
  if (!set) {
    if (!out.empty()) out += '|';
    out.append(hash).append(":").append(std::to_string(count));
  }
  return out;
}

std::string OtelTraceId(std::string_view root) {
  // "1-" 8 hex "-" 24 hex
  if (root.size() != 35 || root.substr(0, 2) != "1-" || root[10] != '-') return "";
  std::string id = std::string(root.substr(2, 8)) + std::string(root.substr(11));
  return IsLowerHex(id) ? id : "";
}

}  // namespace thaw::trace
