#include "auth/access.h"

#include "base/codec.h"

namespace thaw::auth {

std::string CallerArn(const Caller& caller) {
  std::string role = caller.role.empty() ? "thaw-function" : caller.role;
  std::string session = caller.function.empty() ? "unknown" : caller.function;
  std::string account = caller.account.empty() ? std::string(kAccount) : caller.account;
  return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session;
}

std::string RoleName(std::string_view role_arn) {
  size_t slash = role_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? role_arn : role_arn.substr(slash + 1));
}

std::optional<std::string> Authorize(const Caller& caller, const Operation& op) {
  if (!caller.is_function() || caller.may_manage) return std::nullopt;
  switch (op.plane) {
    case Operation::Plane::kData:
      return std::nullopt;
    case Operation::Plane::kReadFunction:
      if (!caller.function.empty() && op.function == caller.function) return std::nullopt;
      break;
    case Operation::Plane::kControl:
    case Operation::Plane::kThaw:
      break;
  }
  return "User: " + CallerArn(caller) + " is not authorized to perform: " + op.action +
         " on resource: " + op.resource + " because no identity-based policy allows the " +
         op.action + " action";
}

std::string FunctionArn(std::string_view name, std::string_view qualifier,
                        std::string_view account) {
  if (name.starts_with("arn:")) return std::string(name);
  std::string arn = "arn:aws:lambda:us-east-1:" +
                    std::string(account.empty() ? std::string_view(kAccount) : account) +
                    ":function:";
  arn += name;
  if (!qualifier.empty()) {
    arn += ':';
    arn += qualifier;
  }
  return arn;
}

Credentials FunctionCredentials(std::string_view function_arn, std::string_view server_key) {
  // Base32 of a keyed hash: 16 characters after "ASIA", as STS's temporary keys look.
  static const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string digest = HmacSha256Hex(server_key, "key-id:" + std::string(function_arn));
  Credentials c;
  c.access_key_id = "ASIA";
  for (size_t i = 0; i < 16; ++i) {
    char h = digest[i];  // a hex digit, 0-15
    unsigned v = static_cast<unsigned>(h <= '9' ? h - '0' : h - 'a' + 10);
    v = v * 2 + static_cast<unsigned>(digest[i + 16] & 1);
    c.access_key_id.push_back(kBase32[v % 32]);
  }
  std::string secret = HmacSha256Hex(server_key, "secret:" + std::string(function_arn));
  c.secret_access_key = Base64Encode(secret).substr(0, 40);
  c.session_token = Base64Encode("thaw-session:" + std::string(function_arn) + ":" +
                                 HmacSha256Hex(server_key, "token:" + std::string(function_arn)));
  return c;
}

std::string PresignedUrl(std::string_view host, std::string_view path, int64_t unix_seconds) {
  SignRequest r;
  r.method = "GET";
  r.path = path;
  r.host = host;
  r.service = "s3";
  r.unix_seconds = unix_seconds;
  Credentials server{kCodeLocationKeyId, kCodeLocationSecret, ""};
  return "http://" + std::string(host) + std::string(path) + "?" + PresignQuery(r, server, 600);
}

}  // namespace thaw::auth
