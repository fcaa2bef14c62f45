#include "lambda/invoke_permission.h"

#include <utility>

#include "auth/accounts.h"

namespace thaw::lambda {

namespace {

constexpr char kInvokeFunction[] = "lambda:InvokeFunction";
constexpr char kInvokeFunctionUrl[] = "lambda:InvokeFunctionUrl";

}  // namespace

InvokePrincipal InvokePrincipal::Account(std::string account) {
  InvokePrincipal who;
  who.account = std::move(account);
  return who;
}

InvokePrincipal InvokePrincipal::Service(std::string service, std::string source_arn,
                                         std::string source_account) {
  InvokePrincipal who;
  who.service = std::move(service);
  who.source_arn = std::move(source_arn);
  who.source_account =
      source_account.empty() ? auth::ArnAccount(who.source_arn) : std::move(source_account);
  who.account = who.source_account;
  return who;
}

std::optional<std::string> AuthorizeInvoke(const Resolved& target, const InvokePrincipal& who) {
  const std::string function_account = auth::ArnAccount(target.invoked_arn);
  if (who.service.empty() && who.account == function_account) return std::nullopt;
  const std::string action =
      who.function_url_auth_type.empty() ? kInvokeFunction : kInvokeFunctionUrl;
  auth::AccessRequest request;
  request.action = action;
  if (!who.function_url_auth_type.empty()) {
    request.context["lambda:functionurlauthtype"] = who.function_url_auth_type;
  }
  request.resource = target.invoked_arn;
  std::string user;
  if (who.service.empty()) {
    request.principal_account = who.account;
    request.principal_arn = "arn:aws:iam::" + who.account + ":root";
    user = request.principal_arn;
  } else {
    request.service = who.service;
    user = who.service;
    if (!who.source_arn.empty()) request.context["aws:sourcearn"] = who.source_arn;
    if (!who.source_account.empty()) {
      request.context["aws:sourceaccount"] = who.source_account;
      request.context["aws:sourceowner"] = who.source_account;
    }
  }
  auth::Decision decision =
      target.policy ? target.policy->Evaluate(request) : auth::Decision::kImplicitDeny;
  if (decision == auth::Decision::kAllow) return std::nullopt;
  std::string message = "User: " + user + " is not authorized to perform: " + action +
                        " on resource: " + target.invoked_arn;
  if (decision == auth::Decision::kExplicitDeny) {
    return message + " with an explicit deny in a resource-based policy";
  }
  return message + " because no resource-based policy allows the " + action + " action";
}

}  // namespace thaw::lambda
