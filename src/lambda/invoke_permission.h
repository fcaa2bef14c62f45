// Who may invoke a function: Lambda's resource-based policy (AddPermission), enforced on Invoke.
// A caller in the function's own account, signed with that account's keys, is allowed, as an
// administrator is (a function's own limits are auth/access.h's). A caller from another account,
// and a service principal (sns.amazonaws.com, s3.amazonaws.com; even of the same account), need
// a statement of the policy of the ARN invoked that allows them, its SourceArn and
// SourceAccount conditions met. Event source mappings and destinations invoke without this
// check, as on Lambda. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "lambda/registry.h"

namespace thaw::lambda {

struct InvokePrincipal {
  std::string account;         // the caller's account; a service's: the source's account
  std::string service;         // "sns.amazonaws.com"; empty for an account's caller
  std::string source_arn;      // the service's resource (the topic, the bucket)
  std::string source_account;  // the account owning it; empty: the source ARN's
  // Set for a function URL's caller ("AWS_IAM"): the action is then lambda:InvokeFunctionUrl,
  // with the lambda:FunctionUrlAuthType condition key.
  std::string function_url_auth_type;

  // A signed request's caller (Request::account).
  static InvokePrincipal Account(std::string account);
  // thaw's own delivery on behalf of a service: "service X with SourceArn Y in account Z".
  static InvokePrincipal Service(std::string service, std::string source_arn,
                                 std::string source_account = "");
};

// nullopt when `who` may invoke `target`; else AWS's AccessDeniedException message.
std::optional<std::string> AuthorizeInvoke(const Resolved& target, const InvokePrincipal& who);

}  // namespace thaw::lambda
