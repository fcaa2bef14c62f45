// `thaw deploy -t template.yaml`: a SAM template deployed as a stack on the thaw server (the
// plan of src/sam, run through StackApi), its state kept in .thaw/STACK.json beside the
// template. Runs on the main thread.
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"

namespace thaw::cli {

struct StackDeployFlags {
  std::string template_path;
  std::string stack_name;  // empty: the template directory's name
  std::vector<std::string> parameter_overrides;
  bool delete_stack = false;
};

// The stack's state file for a template and stack name.
std::string StackStatePath(const std::string& template_path, const std::string& stack_name);

void RunStackDeploy(CommandContext& ctx, const StackDeployFlags& flags);

}  // namespace thaw::cli
