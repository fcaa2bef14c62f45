#include "lambda/api_error.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "http/aws_error.h"
#include "lambda/function.h"

namespace thaw::lambda {

namespace {

constexpr char kBadContent[] = "Could not parse request body into json: ";

// True for "1 validation error detected" and "12 validation errors detected".
bool IsValidationMessage(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && m[i] >= '0' && m[i] <= '9') ++i;
  return i > 0 && m.substr(i).starts_with(" validation error");
}

// Messages quote user input (path values, query strings), which may be any bytes, and
// RestJsonError's json::dump throws on invalid UTF-8: swap bad bytes for U+FFFD first.
std::string ValidUtf8(const std::string& text) {
  using nlohmann::json;
  std::string quoted = json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  json back = json::parse(quoted, nullptr, /*allow_exceptions=*/false);
  return back.is_string() ? back.get<std::string>() : std::string();
}

}  // namespace

http::Response ErrorResponse(const Status& status) {
  const std::string m = ValidUtf8(status.message());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      if (IsValidationMessage(m)) return http::RestJsonError(400, "ValidationException", m);
      if (m.starts_with(kBadContent)) {
        return http::RestJsonError(400, "InvalidRequestContentException", m);
      }
      return http::RestJsonError(400, "InvalidParameterValueException", m);
    case StatusCode::kNotFound:
      return http::RestJsonError(404, "ResourceNotFoundException", m);
    case StatusCode::kAlreadyExists:
      return http::RestJsonError(409, "ResourceConflictException", m);
    case StatusCode::kFailedPrecondition:
      return http::RestJsonError(412, "PreconditionFailedException", m);
    case StatusCode::kResourceExhausted:
      return http::RestJsonError(413, "RequestEntityTooLargeException", m);
    case StatusCode::kPermissionDenied:
      return http::RestJsonError(403, "AccessDeniedException", m);
    default:
      THAW_LOG(kError, "lambda") << "control plane failure: " << status.ToString();
      return http::RestJsonError(500, "ServiceException", ValidUtf8(status.ToString()), "Service");
  }
}

std::string ConstraintViolation(std::string_view value, std::string_view field,
                                std::string_view constraint) {
  return "Value '" + std::string(value) + "' at '" + std::string(field) +
         "' failed to satisfy constraint: " + std::string(constraint);
}

Status ValidationError(const std::vector<std::string>& violations) {
  std::string m =
      std::to_string(violations.size()) +
      (violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) m += "; ";
    m += violations[i];
  }
  return Status::InvalidArgument(m);
}

Status ValidationError(std::string_view value, std::string_view field,
                       std::string_view constraint) {
  return ValidationError(std::vector<std::string>{ConstraintViolation(value, field, constraint)});
}

Status MissingMember(std::string_view field) {
  return ValidationError(
      std::vector<std::string>{"Value null at '" + std::string(field) +
                               "' failed to satisfy constraint: Member must not be null"});
}

Status BadRequestContent(std::string_view detail) {
  return Status::InvalidArgument(kBadContent + std::string(detail));
}

Status FunctionNotFound(const std::string& name, const std::string& qualifier) {
  return Status::NotFound("Function not found: " +
                          (qualifier.empty() ? FunctionArn(name) : QualifiedArn(name, qualifier)));
}

Status RevisionMismatch() {
  return Status::FailedPrecondition(
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/"
      "GetAlias API to retrieve the latest Revision Id");
}

}  // namespace thaw::lambda
