// `thaw report`: reads the JSON that bench, tune, stress and compare wrote (the latency
// experiment's, and the invocation records of stream mappings), and writes DIR/report.html, one
// self-contained page with Chart.js and the data inlined, and DIR/report.json, the data it plots
// (profile/html_report.h, docs/report.md).
// Talks to no server. Runs on the main thread.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/codec.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "profile/html_report.h"
#include "web/assets.h"

namespace thaw::cli {

namespace {

using json = nlohmann::json;

constexpr char kCommand[] = "report";

struct ReportFlags {
  std::vector<std::string> bench;
  std::string tune;
  std::string stress;
  std::string compare;
  std::string latency;
  std::string stream;
  std::string out = "thaw-report";
};

StatusOr<profile::ReportInput> ReadInput(const std::string& path) {
  THAW_ASSIGN_OR_RETURN(std::string text, ReadFileOrStdin(path));
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return Status::InvalidArgument(path + ": not JSON");
  return profile::ReportInput{path, std::move(value)};
}

StatusOr<std::optional<profile::ReportInput>> ReadOptional(const std::string& path) {
  if (path.empty()) return std::optional<profile::ReportInput>();
  THAW_ASSIGN_OR_RETURN(profile::ReportInput input, ReadInput(path));
  return std::optional<profile::ReportInput>(std::move(input));
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IoError("cannot write " + path.string());
  return Status::Ok();
}

StatusOr<profile::ReportInputs> ReadInputs(const ReportFlags& flags) {
  profile::ReportInputs inputs;
  for (const std::string& path : flags.bench) {
    THAW_ASSIGN_OR_RETURN(profile::ReportInput input, ReadInput(path));
    inputs.bench.push_back(std::move(input));
  }
  THAW_ASSIGN_OR_RETURN(inputs.tune, ReadOptional(flags.tune));
  THAW_ASSIGN_OR_RETURN(inputs.stress, ReadOptional(flags.stress));
  THAW_ASSIGN_OR_RETURN(inputs.compare, ReadOptional(flags.compare));
  THAW_ASSIGN_OR_RETURN(inputs.latency, ReadOptional(flags.latency));
  THAW_ASSIGN_OR_RETURN(inputs.stream, ReadOptional(flags.stream));
  inputs.generated_at = FormatIsoMillis(SystemClock::Get().RealtimeMillis());
  return inputs;
}

void RunReport(CommandContext& ctx, const ReportFlags& flags) {
  StatusOr<profile::ReportInputs> inputs = ReadInputs(flags);
  if (!inputs.ok()) return ReportError(ctx, kCommand, inputs.status(), kExitUsage);
  StatusOr<json> report = profile::BuildReport(*inputs);
  if (!report.ok()) return ReportError(ctx, kCommand, report.status(), kExitUsage);

  std::error_code ec;
  std::filesystem::create_directories(flags.out, ec);
  std::filesystem::path dir = std::filesystem::absolute(flags.out, ec);
  if (ec) {
    return ReportError(ctx, kCommand, Status::IoError(flags.out + ": " + ec.message()),
                       kExitFailure);
  }
  std::string html = profile::RenderHtml(
      *report,
      {.chart_js = web::kChartJs, .report_js = web::kReportJs, .report_css = web::kReportCss});
  for (const auto& [name, text] :
       {std::pair{"report.json", DumpJson(*report, 2) + "\n"}, std::pair{"report.html", html}}) {
    if (Status s = WriteFile(dir / name, text); !s.ok()) {
      return ReportError(ctx, kCommand, s, kExitFailure);
    }
  }

  int sections = 0;
  int not_run = 0;
  int charts = 0;
  int64_t points = 0;
  for (const json& section : (*report)["sections"]) {
    ++sections;
    not_run += section["status"] == "ok" ? 0 : 1;
    for (const json& chart : section["charts"]) {
      ++charts;
      points += chart["points"].get<int64_t>();
    }
  }
  std::cout << "thaw report: " << sections << " sections (" << not_run << " not run), " << charts
            << " charts, " << points << " points\n"
            << "data:   " << (dir / "report.json").string() << "\n"
            << "report: " << (dir / "report.html").string() << "\n";
}

}  // namespace

void AddReportCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a self-contained HTML report (charts inlined, no network) and its data as JSON "
      "from the --json files of bench, tune, stress and compare");
  cmd->add_option("--bench", flags->bench, "thaw bench --json files (FILE[,FILE...])")
      ->delimiter(',');
  cmd->add_option("--tune", flags->tune, "thaw tune --json file");
  cmd->add_option("--stress", flags->stress, "thaw stress --json file");
  cmd->add_option("--compare", flags->compare, "thaw compare --json file");
  cmd->add_option("--latency", flags->latency, "the latency experiment's JSON (docs/report.md)");
  cmd->add_option("--stream", flags->stream,
                  "invocation records of stream mappings (thaw invocations --json)");
  cmd->add_option("--out,-o", flags->out, "directory for report.html and report.json")
      ->capture_default_str();
  cmd->footer(
      "At least one input. Sections without input say \"not run\".\nExit codes: 0 ok, 1 the "
      "files could not be written, 2 bad usage or an input that is not its command's JSON.");
  cmd->callback([&ctx, flags] { RunReport(ctx, *flags); });
}

}  // namespace thaw::cli
