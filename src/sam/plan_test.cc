#include "sam/plan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sam/parameters.h"

namespace thaw::sam {
namespace {

using nlohmann::json;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(THAW_SAM_TESTDATA) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

StatusOr<Plan> PlanOf(const std::string& text, StackInputs in = {}) {
  THAW_ASSIGN_OR_RETURN(Template t, ParseTemplate(text));
  THAW_ASSIGN_OR_RETURN(Scope scope, MakeScope(t, in));
  return MakePlan(t, scope);
}

std::vector<std::string> Ids(const Plan& p) {
  std::vector<std::string> out;
  for (const Step& s : p.steps) out.push_back(s.logical_id + " " + s.type);
  return out;
}

size_t Position(const Plan& p, const std::string& id) {
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].logical_id == id) return i;
  }
  return p.steps.size();
}

TEST(PlanTest, ExpandsFunctionsAndOrdersByReferences) {
  StatusOr<Plan> p = PlanOf(ReadTestdata("queue_and_stream.yaml"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::vector<std::string> ids = Ids(*p);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "ItemsTable AWS::DynamoDB::Table",
                     "QueueFunction AWS::Lambda::Function",
                     "QueueFunctionRole AWS::IAM::Role",
                     "QueueFunctionWork AWS::Lambda::EventSourceMapping",
                     "StreamFunction AWS::Lambda::Function",
                     "StreamFunctionAliaslive AWS::Lambda::Alias",
                     "StreamFunctionChanges AWS::Lambda::EventSourceMapping",
                     "StreamFunctionRole AWS::IAM::Role",
                     "StreamFunctionVersion AWS::Lambda::Version",
                     "WorkQueue AWS::SQS::Queue",
                 }));  // ProdOnlyTopic's condition is false
  // The Globals' environment refers to the table, so both functions come after it.
  EXPECT_LT(Position(*p, "ItemsTable"), Position(*p, "QueueFunction"));
  EXPECT_LT(Position(*p, "QueueFunctionRole"), Position(*p, "QueueFunction"));
  EXPECT_LT(Position(*p, "WorkQueue"), Position(*p, "QueueFunctionRole"));  // Policies
  EXPECT_LT(Position(*p, "QueueFunction"), Position(*p, "QueueFunctionWork"));
  EXPECT_LT(Position(*p, "StreamFunctionAliaslive"), Position(*p, "StreamFunctionChanges"));
  EXPECT_LT(Position(*p, "StreamFunctionVersion"), Position(*p, "StreamFunctionAliaslive"));

  const Step* esm = p->Find("StreamFunctionChanges");
  ASSERT_NE(esm, nullptr);
  EXPECT_EQ(esm->properties, json::parse(R"({
      "EventSourceArn": {"Fn::GetAtt": ["ItemsTable", "StreamArn"]},
      "FunctionName": {"Ref": "StreamFunctionAliaslive"},
      "StartingPosition": "TRIM_HORIZON", "BatchSize": 10,
      "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["WorkQueue", "Arn"]}}}})"));
  const Step* f = p->Find("QueueFunction");
  EXPECT_EQ(f->properties["Role"], json::parse(R"({"Fn::GetAtt":["QueueFunctionRole","Arn"]})"));
  EXPECT_EQ(f->properties["MemorySize"], 128);
  EXPECT_EQ(f->metadata["BuildMethod"], "go1.x");
  EXPECT_FALSE(f->properties.contains("Events"));
  EXPECT_FALSE(f->properties.contains("Policies"));

  StackInputs prod;
  prod.parameter_overrides = {{"Stage", "prod"}};
  p = PlanOf(ReadTestdata("queue_and_stream.yaml"), prod);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_NE(p->Find("ProdOnlyTopic"), nullptr);
}

TEST(PlanTest, SnsEventSimpleTableAndHelloWorld) {
  StatusOr<Plan> p = PlanOf(R"(
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Table:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: Number}
      Tags: {team: a}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: bootstrap
      Runtime: provided.al2023
      Role: arn:aws:iam::000000000000:role/given
      Events:
        Note:
          Type: SNS
          Properties:
            Topic: !Ref Topic
            FilterPolicy: {kind: [a]}
)");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->Find("FnRole"), nullptr);  // a given Role makes none
  const Step* sub = p->Find("FnNote");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->type, "AWS::SNS::Subscription");
  EXPECT_EQ(sub->properties["Endpoint"], json::parse(R"({"Fn::GetAtt":["Fn","Arn"]})"));
  EXPECT_EQ(sub->properties["FilterPolicy"], json::parse(R"({"kind":["a"]})"));
  const Step* perm = p->Find("FnNotePermission");
  ASSERT_NE(perm, nullptr);
  EXPECT_EQ(perm->properties["Principal"], "sns.amazonaws.com");
  EXPECT_EQ(p->Find("Table")->properties, json::parse(R"({
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "BillingMode": "PAY_PER_REQUEST", "Tags": [{"Key": "team", "Value": "a"}]})"));

  p = PlanOf(ReadTestdata("hello_world_go.yaml"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_LT(Position(*p, "SharedLayer"), Position(*p, "WorkQueue"));  // DependsOn
  EXPECT_LT(Position(*p, "WorkQueue"), Position(*p, "HelloWorldFunctionQueue"));
}

TEST(PlanTest, ScheduleEventsBecomeRulesAndSchedules) {
  StatusOr<Plan> p = PlanOf(R"(
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes), Input: '{"a":1}', Enabled: false}
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 9 * * ? *)
            ScheduleExpressionTimezone: Europe/Berlin
)");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const Step* rule = p->Find("FnTick");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->type, "AWS::Events::Rule");
  EXPECT_EQ(rule->properties, json::parse(R"j({"ScheduleExpression": "rate(5 minutes)",
      "State": "DISABLED", "Targets": [{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]},
      "Id": "FnTickLambdaTarget", "Input": "{\"a\":1}"}]})j"));
  const Step* perm = p->Find("FnTickPermission");
  ASSERT_NE(perm, nullptr);
  EXPECT_EQ(perm->properties["Principal"], "events.amazonaws.com");
  EXPECT_EQ(perm->properties["SourceArn"], json::parse(R"({"Fn::GetAtt":["FnTick","Arn"]})"));
  EXPECT_LT(Position(*p, "FnTick"), Position(*p, "FnTickPermission"));
  const Step* schedule = p->Find("FnDaily");
  ASSERT_NE(schedule, nullptr);
  EXPECT_EQ(schedule->type, "AWS::Scheduler::Schedule");
  EXPECT_EQ(schedule->properties, json::parse(R"j({"ScheduleExpression": "cron(0 9 * * ? *)",
      "ScheduleExpressionTimezone": "Europe/Berlin", "FlexibleTimeWindow": {"Mode": "OFF"},
      "Target": {"Arn": {"Fn::GetAtt": ["Fn", "Arn"]},
                 "RoleArn": {"Fn::GetAtt": ["FnDailyRole", "Arn"]}}})j"));
  ASSERT_NE(p->Find("FnDailyRole"), nullptr);
}

TEST(PlanTest, ApiAndHttpApiEventsBecomeRoutes) {
  StatusOr<Plan> p = PlanOf(R"(
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables: {env: test}
      BinaryMediaTypes: [image~1png]
      Cors: {AllowOrigin: "'https://a.example'", AllowMethods: "'GET, POST'", MaxAge: "'600'"}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        Get: {Type: Api, Properties: {Path: "/items/{id}", Method: get}}
        Mine: {Type: Api, Properties: {Path: /x, Method: any, RestApiId: !Ref MyApi}}
        Http: {Type: HttpApi}
        V1: {Type: HttpApi, Properties: {Path: /v1, Method: post, PayloadFormatVersion: "1.0"}}
)");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const Step* get = p->Find("FnGet");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->type, "Thaw::ApiRoute");
  EXPECT_EQ(get->properties["Kind"], "REST");
  EXPECT_EQ(get->properties["Stage"], "Prod");
  EXPECT_EQ(get->properties["Path"], "/items/{id}");
  EXPECT_EQ(get->properties["ApiId"], json({{"Ref", "ServerlessRestApi"}}));
  ASSERT_NE(p->Find("ServerlessRestApi"), nullptr);
  ASSERT_NE(p->Find("ServerlessHttpApi"), nullptr);
  const Step* mine = p->Find("FnMine");
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->properties["Stage"], "dev");
  EXPECT_EQ(mine->properties["StageVariables"], json({{"env", "test"}}));
  EXPECT_EQ(mine->properties["BinaryMediaTypes"], json::array({"image~1png"}));
  EXPECT_TRUE(mine->needs.contains("MyApi"));
  EXPECT_EQ(mine->properties["Cors"], json::parse(R"({"AllowOrigins":["https://a.example"],
    "AllowMethods":["GET","POST"],"MaxAge":600})"));
  const Step* http = p->Find("FnHttp");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->properties["Kind"], "HTTP");
  EXPECT_EQ(http->properties["Path"], "$default");
  EXPECT_EQ(http->properties["Stage"], "$default");
  EXPECT_EQ(p->Find("FnV1")->properties["PayloadFormatVersion"], "1.0");

  auto error = PlanOf(R"(
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get, RestApiId: Nope}}
)");
  EXPECT_FALSE(error.ok());
}

TEST(PlanTest, HttpApiLambdaAuthorizersAndNoJwt) {
  const std::string head = R"(
Resources:
  Auth: {Type: AWS::Serverless::Function, Properties: {CodeUri: a/, Runtime: go1.x}}
  Guarded:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt Auth.Arn
            AuthorizerPayloadFormatVersion: 2.0
            EnableSimpleResponses: true
            Identity: {Headers: [X-Token], ReauthorizeEvery: 60}
)";
  StatusOr<Plan> p = PlanOf(head + R"(
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        In: {Type: HttpApi, Properties: {Path: /in, Method: get, ApiId: !Ref Guarded}}
        Out:
          Type: HttpApi
          Properties: {Path: /out, Method: get, ApiId: !Ref Guarded, Auth: {Authorizer: NONE}}
)");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const json& a = p->Find("FnIn")->properties["Authorizer"];
  EXPECT_EQ(a["Type"], "REQUEST");
  EXPECT_EQ(a["PayloadFormatVersion"], "2.0");
  EXPECT_EQ(a["SimpleResponses"], true);
  EXPECT_EQ(a["Headers"], json::array({"X-Token"}));
  EXPECT_EQ(a["Ttl"], 60);
  EXPECT_FALSE(p->Find("FnOut")->properties.contains("Authorizer"));

  StatusOr<Plan> jwt = PlanOf(R"(
Resources:
  Guarded:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: "https://issuer.example", audience: [x]}
            IdentitySource: $request.header.Authorization
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        In: {Type: HttpApi, Properties: {Path: /in, Method: get, ApiId: !Ref Guarded}}
)");
  ASSERT_FALSE(jwt.ok());
  EXPECT_NE(jwt.status().message().find("JWT authorizers are not supported"), std::string::npos);
}

TEST(PlanTest, GlobalsApiAndHttpApiReachImplicitAndExplicitApis) {
  StatusOr<Plan> p = PlanOf(R"(
Globals:
  Api:
    BinaryMediaTypes: [image~1png]
    Cors: "'*'"
  HttpApi:
    StageVariables: {color: red}
Resources:
  Mine:
    Type: AWS::Serverless::HttpApi
    Properties: {StageVariables: {size: big}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        Get: {Type: Api, Properties: {Path: /a, Method: get}}
        Http: {Type: HttpApi, Properties: {Path: /b, Method: get}}
        Own: {Type: HttpApi, Properties: {Path: /c, Method: get, ApiId: !Ref Mine}}
)");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const json& get = p->Find("FnGet")->properties;
  EXPECT_EQ(get["BinaryMediaTypes"], json::array({"image~1png"}));
  EXPECT_EQ(get["Cors"]["AllowOrigins"], json::array({"*"}));
  EXPECT_EQ(p->Find("FnHttp")->properties["StageVariables"], json({{"color", "red"}}));
  EXPECT_EQ(p->Find("FnOwn")->properties["StageVariables"],
            json({{"color", "red"}, {"size", "big"}}));

  StatusOr<Plan> refused = PlanOf(R"(
Globals: {Api: {MethodSettings: []}}
Resources:
  Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: fn/, Runtime: go1.x}}
)");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "Globals.Api.MethodSettings is not supported by thaw");
}

TEST(PlanTest, RefusesWhatThawDoesNotServeByName) {
  auto error = [](const std::string& text) { return PlanOf(text).status().message(); };
  EXPECT_EQ(error("Resources: {B: {Type: AWS::S3::Bucket}}\n"),
            "Resources.B: type AWS::S3::Bucket is not supported by thaw");
  EXPECT_EQ(error("Resources: {Q: {Type: AWS::SQS::Queue, Properties: {Colour: red}}}\n"),
            "Resources.Q.Properties.Colour is not supported by thaw for AWS::SQS::Queue");
  EXPECT_EQ(
      error(R"(
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get, RequestModel: {}}}
)"),
      "Resources.Fn.Properties.Events.Get.Properties.RequestModel is not supported by thaw for "
      "Api");
  EXPECT_EQ(error(R"(
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Events:
        Q: {Type: SQS, Properties: {Queue: arn, Colour: red}}
)"),
            "Resources.Fn.Properties.Events.Q.Properties.Colour is not supported by thaw for SQS");
  EXPECT_EQ(error(R"(
Resources:
  A: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt B.Arn}}}
  B: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt A.Arn}}}
)"),
            "resources depend on each other in a circle: A, B");
}

TEST(PlanTest, RefusesFunctionsThawCannotBuild) {
  auto error = [](const std::string& props, const std::string& metadata = "{}") {
    return PlanOf(
               "Parameters: {Rt: {Type: String, Default: nodejs20.x}}\n"
               "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: " +
               metadata + "\n    Properties: " + props + "\n")
        .status()
        .message();
  };
  EXPECT_EQ(
      error("{CodeUri: hello/, Handler: Hello::Handler, Runtime: java21}"),
      "Resources.Fn: thaw deploy builds Go (BuildMethod go1.x or a provided.* Runtime), "
      "Python (python3.x) and Node.js (nodejs*.x) functions; java21 builds are not supported");
  EXPECT_NE(error("{CodeUri: hello/, Runtime: nodejs20.x}", "{BuildMethod: esbuild}")
                .find("esbuild builds"),
            std::string::npos);
  EXPECT_EQ(error("{CodeUri: hello/, Handler: app.handler, Runtime: python3.12}"), "");
  EXPECT_EQ(error("{CodeUri: hello/, Handler: index.handler, Runtime: !Ref Rt}"), "");
  EXPECT_NE(error("{CodeUri: hello/}").find("no Runtime is given"), std::string::npos);
  EXPECT_EQ(error("{CodeUri: hello/, Runtime: provided.al2023}", "{BuildMethod: go1.x}"), "");
  EXPECT_EQ(error("{CodeUri: hello/, Runtime: go1.x}"), "");
}

TEST(PlanTest, BuildKindOfEachRuntime) {
  EXPECT_EQ(BuildKindOf("go1.x"), BuildKind::kGo);
  EXPECT_EQ(BuildKindOf("provided.al2023"), BuildKind::kGo);
  EXPECT_EQ(BuildKindOf("provided"), BuildKind::kGo);
  EXPECT_EQ(BuildKindOf("python3.12"), BuildKind::kPython);
  EXPECT_EQ(BuildKindOf("python3.9"), BuildKind::kPython);
  EXPECT_EQ(BuildKindOf("nodejs20.x"), BuildKind::kNode);
  EXPECT_EQ(BuildKindOf("nodejs22.x"), BuildKind::kNode);
  EXPECT_EQ(BuildKindOf("python2.7"), std::nullopt);
  EXPECT_EQ(BuildKindOf("esbuild"), std::nullopt);
  EXPECT_EQ(BuildKindOf("makefile"), std::nullopt);
  EXPECT_EQ(BuildKindOf(""), std::nullopt);
}

TEST(PhysicalNameTest, ShortensToFit) {
  EXPECT_EQ(PhysicalName("sam-app", "HelloWorldFunction", "AbCdEfGh1234", 64),
            "sam-app-HelloWorldFunction-AbCdEfGh1234");
  std::string name = PhysicalName(std::string(40, 's'), std::string(40, 'L'), "AbCdEfGh1234", 64);
  EXPECT_EQ(name.size(), 64u);
  EXPECT_EQ(name.substr(name.size() - 13), "-AbCdEfGh1234");
  std::string r = RandomSuffix();
  EXPECT_EQ(r.size(), 12u);
  EXPECT_NE(r, RandomSuffix());
}

}  // namespace
}  // namespace thaw::sam
