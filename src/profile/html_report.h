// `thaw report`: the JSON of thaw bench, tune, stress and compare (and of the latency
// experiment) become one report: the data it plots (report.json, with per-chart point counts)
// and a self-contained HTML page with the chart library, our script and that data inlined, so it
// reads offline and makes no request. docs/report.md has the layout and the schema.
// Pure functions over values: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::profile {

struct ReportInput {
  std::string source;  // where it came from (a file name), shown in the report
  nlohmann::json json;
};

struct ReportInputs {
  std::vector<ReportInput> bench;  // `thaw bench --json`, one section per file
  std::optional<ReportInput> tune;
  std::optional<ReportInput> stress;
  std::optional<ReportInput> compare;
  std::optional<ReportInput> latency;  // the latency experiment (docs/report.md)
  // Invocation records of stream mappings: `thaw invocations --json` or GET /thaw/invocations.
  std::optional<ReportInput> stream;
  std::string generated_at;  // shown in the header; empty: left out
};

// {"report":"thaw","version":1,"generated_at","sources":{...},"sections":[{"id","title",
//  "status":"ok"|"not run","note","charts":[{"id","kind":"bar"|"line","title","x":{"label",
//  "scale"},"y":{...},"y2":{...}|null,"categories":[...]|null,"stepped","series":[{"name",
//  "axis":"y"|"y2","points":[[x,y],...],"count"}],"points"}],"tables":[{"title","columns",
//  "rows","verdict_column"}]}]}. Sections come in a fixed order (functions, tuning, mechanisms,
// latency experiment, stream processing, stress); an input that is absent gives its section status
// "not run". InvalidArgument when no input is given or one is not the JSON of its command.
StatusOr<nlohmann::json> BuildReport(const ReportInputs& inputs);

struct ReportAssets {
  std::string_view chart_js;  // Chart.js (UMD build), defines window.Chart
  std::string_view report_js;
  std::string_view report_css;
};

// The page: one HTML file with the assets and the report inlined. Tables are HTML, charts are
// drawn by report_js from the report JSON. Every text from the inputs is escaped.
std::string RenderHtml(const nlohmann::json& report, const ReportAssets& assets);

}  // namespace thaw::profile
