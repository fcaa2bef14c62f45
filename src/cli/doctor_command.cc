// `thaw doctor [--json]`: reports what thaw can enforce on this host (namespaces, cgroup
// limits, freezer, the size-limited /tmp, seccomp, ...) as a table or JSON, and whether it would
// run functions with full isolation or in degraded mode. Needs no server. Exits 0 whatever the
// verdict; 1 only when the probe itself fails. It also lists the managed runtimes (python3.x,
// nodejs*) and the interpreter version that really runs them. Runs on the main thread.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/tables.h"
#include "lambda/managed_runtime.h"
#include "sandbox/probe.h"

namespace thaw::cli {

namespace {

struct DoctorFlags {
  bool json = false;
};

nlohmann::json RuntimesJson() {
  nlohmann::json out = nlohmann::json::array();
  for (const lambda::ManagedRuntime* r : lambda::HostManagedRuntimes()) {
    out.push_back({{"family", r->family},
                   {"runtimes", lambda::ManagedRuntimeIds(r->family)},
                   {"available", r->ok()},
                   {"version", r->version},
                   {"dir", r->dir},
                   {"detail", r->problem}});
  }
  return out;
}

// One line per managed runtime: which ids it serves and the version that really runs them.
void PrintRuntimes() {
  std::cout << "\nManaged runtimes (custom runtimes, provided.*, always run):\n";
  for (const lambda::ManagedRuntime* r : lambda::HostManagedRuntimes()) {
    std::vector<std::string> ids = lambda::ManagedRuntimeIds(r->family);
    std::string range = ids.empty() ? r->family : ids.front() + " .. " + ids.back();
    if (r->ok()) {
      std::cout << "  " << range << ": available, run by " << lambda::ManagedLanguage(r->family)
                << " " << r->version << " (" << r->dir << ")\n";
    } else {
      std::cout << "  " << range << ": NOT available: " << r->problem << "\n";
    }
  }
}

nlohmann::json ProbeJson(const sandbox::SandboxProbe& probe) {
  nlohmann::json items = nlohmann::json::array();
  for (const sandbox::ProbeItem& item : probe.items) {
    items.push_back({{"feature", item.feature},
                     {"status", sandbox::ProbeStatusName(item.status)},
                     {"ok", item.ok()},
                     {"isolation", item.isolation},
                     {"detail", item.detail}});
  }
  return {{"items", std::move(items)},
          {"cgroups", probe.layout.Describe()},
          {"fullIsolation", probe.FullIsolation()},
          {"notEnforced", probe.Degraded()},
          {"verdict", sandbox::FormatVerdict(probe)}};
}

void RunDoctor(CommandContext& ctx, const DoctorFlags& flags) {
  StatusOr<sandbox::SandboxProbe> probe = sandbox::ProbeHost();
  if (!probe.ok()) return ReportError(ctx, "doctor", probe.status(), kExitFailure);
  if (flags.json) {
    nlohmann::json report = ProbeJson(*probe);
    report["managedRuntimes"] = RuntimesJson();
    PrintLine(std::cout, DumpJson(report, 2));
  } else {
    std::cout << sandbox::FormatProbe(*probe) << '\n';
    PrintLine(std::cout, sandbox::FormatVerdict(*probe));
    PrintRuntimes();
  }
  std::cout << std::flush;
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Report what thaw can enforce on this host (isolation, limits, freezer)");
  cmd->add_flag("--json", flags->json, "print the report as JSON");
  cmd->footer("Exit codes: 0 report printed (whatever it says), 1 the probe itself failed.");
  cmd->callback([&ctx, flags] { RunDoctor(ctx, *flags); });
}

}  // namespace thaw::cli
