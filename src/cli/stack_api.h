// sam::ResourceApi against a running thaw server: each CloudFormation type of a SAM plan as the
// Lambda, SQS, SNS, DynamoDB and Kinesis calls thaw serves (IAM roles are names only). Builds Go
// functions with the go build code of `thaw deploy DIR`, and Python and Node.js ones with
// cli/sam_build.h (cached under .thaw/build beside the template). Blocks on the calls;
// thread-compatible (one thread).
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/client.h"
#include "sam/stack.h"

namespace thaw::cli {

class StackApi : public sam::ResourceApi {
 public:
  // `base_dir`: where CodeUri and ContentUri paths start (the template's directory).
  static StatusOr<std::unique_ptr<StackApi>> Connect(const std::string& endpoint,
                                                     std::string base_dir, std::ostream* progress);

  // With given clients (tests): one per service, in the order of the members below.
  static std::unique_ptr<StackApi> WithClients(std::string base_dir, std::ostream* progress,
                                               std::unique_ptr<http::Client> lambda,
                                               std::unique_ptr<http::Client> sqs,
                                               std::unique_ptr<http::Client> sns,
                                               std::unique_ptr<http::Client> dynamodb,
                                               std::unique_ptr<http::Client> kinesis);

  Status Prepare(const sam::Step& step, nlohmann::json& properties) override;
  StatusOr<sam::Made> Create(const sam::Step& step, const nlohmann::json& properties,
                             const std::string& name) override;
  StatusOr<std::optional<sam::Made>> Update(const sam::Step& step, const nlohmann::json& properties,
                                            const nlohmann::json& previous,
                                            const sam::Made& current) override;
  Status Delete(const std::string& type, const sam::Made& current) override;

  // Polling intervals for functions, tables and streams to settle.
  int poll_interval_ms = 200;
  int max_polls = 600;

 private:
  StackApi(std::string base_dir, std::ostream* progress)
      : base_dir_(std::move(base_dir)), progress_(progress) {}

  StatusOr<nlohmann::json> Json(http::Client& client, const std::string& target_header,
                                const nlohmann::json& request);
  StatusOr<std::string> Sns(const std::string& action,
                            const std::vector<std::pair<std::string, std::string>>& params);
  Status WaitForFunction(const std::string& name);
  // "" when the server runs `runtime` (python3.12) on that very version; else the sentence
  // saying what really runs it (GET /thaw/environments, asked once).
  std::string RuntimeNote(const std::string& runtime);
  nlohmann::json FunctionConfig(const nlohmann::json& props) const;
  StatusOr<sam::Made> CreateFunction(const std::string& zip, const nlohmann::json& props,
                                     const std::string& name);
  StatusOr<sam::Made> UpdateFunction(const std::string& zip, const nlohmann::json& props,
                                     const nlohmann::json& previous, const sam::Made& current);
  StatusOr<sam::Made> CreateQueue(const nlohmann::json& props, const std::string& name);
  StatusOr<sam::Made> CreateTopic(const nlohmann::json& props, const std::string& name);
  StatusOr<sam::Made> Subscribe(const nlohmann::json& props);
  StatusOr<sam::Made> CreateTable(const nlohmann::json& props, const std::string& name);
  StatusOr<sam::Made> CreateStream(const nlohmann::json& props, const std::string& name);
  // In-place updates; nullopt when the change needs a replacement.
  StatusOr<std::optional<sam::Made>> UpdateTable(const nlohmann::json& props,
                                                 const nlohmann::json& previous,
                                                 const sam::Made& current);
  StatusOr<std::optional<sam::Made>> UpdateStream(const nlohmann::json& props,
                                                  const nlohmann::json& previous,
                                                  const sam::Made& current);
  StatusOr<std::optional<sam::Made>> UpdateMapping(const nlohmann::json& props,
                                                   const nlohmann::json& previous,
                                                   const sam::Made& current);
  StatusOr<nlohmann::json> WaitForTable(const std::string& table);
  // A Thaw::ApiRoute: PUT /thaw/api-routes/NAME (httpfront/api_routes.h).
  StatusOr<sam::Made> PutApiRoute(const nlohmann::json& props, const std::string& name);
  StatusOr<nlohmann::json> WaitForStream(const std::string& stream);
  // Until the mapping is out of Creating, Updating, Enabling and Disabling (AWS refuses changes
  // in between).
  Status WaitForMapping(const std::string& uuid);
  // AWS::Events::Rule and AWS::Scheduler::Schedule (stack_api_schedules.cc): created, updated in
  // place and deleted through thaw's EventBridge and Scheduler APIs.
  StatusOr<sam::Made> PutRule(const nlohmann::json& props, const std::string& name,
                              const nlohmann::json& previous_targets);
  Status DeleteRule(const sam::Made& current);
  StatusOr<sam::Made> PutSchedule(const nlohmann::json& props, const std::string& name,
                                  bool create);
  Status DeleteSchedule(const sam::Made& current);

  std::string base_dir_;
  std::ostream* progress_;
  std::unique_ptr<http::Client> lambda_;
  std::unique_ptr<http::Client> sqs_;
  std::unique_ptr<http::Client> sns_;
  std::unique_ptr<http::Client> dynamodb_;
  std::unique_ptr<http::Client> kinesis_;
  std::unique_ptr<http::Client> events_;         // null from WithClients
  std::unique_ptr<http::Client> scheduler_;      // null from WithClients
  std::map<std::string, std::string> zips_;      // by logical id, from Prepare
  std::map<std::string, std::string> prepared_;  // the inputs each zip was built from
  std::optional<nlohmann::json> host_runtimes_;  // GET /thaw/environments' managedRuntimes
};

}  // namespace thaw::cli
