#include "lambda/function.h"

#include <regex>

namespace thaw::lambda {

std::string FunctionArn(const std::string& name) {
  return std::string("arn:aws:lambda:") + kRegion + ":" + kAccount + ":function:" + name;
}

std::string QualifiedArn(const std::string& name, const std::string& qualifier) {
  return FunctionArn(name) + ":" + qualifier;
}

std::optional<FunctionRef> ParseFunctionRef(const std::string& text) {
  // AWS's own pattern for FunctionName, with the qualifier as a last optional group.
  static const std::regex kPattern(
      R"(^(?:arn:(?:aws[a-zA-Z-]*):lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?)"
      R"(([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) return std::nullopt;
  FunctionRef ref;
  ref.name = m[1].str();
  if (m[2].matched) ref.qualifier = m[2].str();
  return ref;
}

}  // namespace thaw::lambda
