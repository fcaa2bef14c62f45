// Fuzzes the SAM template path of `thaw deploy -t` (sam/template.h, parameters.h, plan.h): YAML
// with CloudFormation's short-form tags read by yaml-cpp, then Parameters, Conditions, Globals
// and the plan. Whatever a template holds, the reader answers a Status (yaml-cpp's exceptions stay
// inside yaml_reader.cc) and nothing crashes; a template that plans plans the same way twice.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sam/parameters.h"
#include "sam/plan.h"
#include "sam/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  thaw::StatusOr<thaw::sam::Template> t = thaw::sam::ParseTemplate(text);
  if (!t.ok()) return 0;
  thaw::sam::StackInputs inputs;
  inputs.stack_name = "fuzz";
  thaw::StatusOr<thaw::sam::Scope> scope = thaw::sam::MakeScope(*t, inputs);
  if (!scope.ok()) return 0;
  thaw::StatusOr<thaw::sam::Plan> plan = thaw::sam::MakePlan(*t, *scope);
  thaw::StatusOr<thaw::sam::Plan> again = thaw::sam::MakePlan(*t, *scope);
  if (plan.ok() != again.ok()) __builtin_trap();
  if (plan.ok() && plan->steps.size() != again->steps.size()) __builtin_trap();
  return 0;
}
