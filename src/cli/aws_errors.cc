#include "cli/aws_errors.h"

#include <iostream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/json_fields.h"

namespace thaw::cli {

using nlohmann::json;

namespace {

constexpr size_t kMaxErrorBodyChars = 300;

}  // namespace

std::string OneLine(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  size_t begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  size_t end = out.find_last_not_of(' ');
  return out.substr(begin, end - begin + 1);
}

AwsError ParseAwsError(const http::Response& response) {
  AwsError error;
  error.status = response.status;
  auto CodeOf = [](std::string_view text) {
    text = text.substr(0, text.find(':'));
    if (size_t hash = text.rfind('#'); hash != std::string_view::npos) text = text.substr(hash + 1);
    return OneLine(text, 100);
  };
  if (auto header = response.headers.Get("x-amzn-ErrorType")) error.type = CodeOf(*header);
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (!error.type.empty()) break;
      error.type = CodeOf(JsonString(body, key));
    }
    for (const char* key : {"Message", "message", "errorMessage"}) {
      if (!error.message.empty()) break;
      error.message = OneLine(JsonString(body, key), kMaxErrorBodyChars);
    }
  } else {
    error.message = OneLine(response.body, kMaxErrorBodyChars);
  }
  return error;
}

std::string FormatAwsError(const AwsError& error) {
  std::string out = error.type;
  if (!error.message.empty()) out += (out.empty() ? "" : ": ") + error.message;
  if (out.empty()) out = "empty error response";
  return out + " (HTTP " + std::to_string(error.status) + ")";
}

Status ResponseStatus(const http::Response& response) {
  if (response.status >= 200 && response.status < 300) return Status::Ok();
  std::string message = FormatAwsError(ParseAwsError(response));
  switch (response.status) {
    case 400:
      return Status::InvalidArgument(std::move(message));
    case 403:
      return Status::PermissionDenied(std::move(message));
    case 404:
      return Status::NotFound(std::move(message));
    case 409:
      return Status::FailedPrecondition(std::move(message));
    case 413:
    case 429:
      return Status::ResourceExhausted(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  return status.code() == StatusCode::kUnavailable ? kExitUnavailable : kExitFailure;
}

void ReportError(CommandContext& ctx, std::string_view command, const Status& status,
                 std::optional<int> exit_code) {
  std::cerr << "thaw " << command << ": " << status.message() << "\n";
  ctx.exit_code = exit_code.value_or(ExitCodeFor(status));
}

}  // namespace thaw::cli
