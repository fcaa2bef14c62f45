// Shared pieces of the client subcommands (deploy, invoke, functions, get, delete): calling the
// Lambda REST API (2015-03-31) on a thaw server, turning AWS error answers into one-line messages
// and exit codes, building a Go main package into an in-memory Lambda zip, and printing tables.
// Free functions without shared state; thread-compatible (one thread per http::Client).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/command.h"
#include "http/client.h"
#include "http/message.h"

namespace thaw::cli {

inline constexpr char kFunctionsPath[] = "/2015-03-31/functions";
inline constexpr char kLocalRole[] = "arn:aws:iam::000000000000:role/thaw-local";
inline constexpr char kDefaultRuntime[] = "provided.al2023";
// Control-plane calls; a create or code update carries a zip of tens of MB.
inline constexpr int64_t kControlTimeoutMs = 120'000;

// Help footer of every client subcommand.
inline constexpr char kExitCodesFooter[] =
    "Exit codes: 0 ok, 1 failed (service or function error), 2 bad usage, 3 server unreachable.";

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// ---- Errors and exit codes -------------------------------------------------------------------

// An AWS REST-JSON error answer: status, x-amzn-ErrorType and the body's Message.
struct AwsError {
  int status = 0;
  std::string type;     // "ResourceNotFoundException"; empty when the server sent none
  std::string message;  // body Message/message, or the raw body text (trimmed, shortened)
};

// Reads the error code from x-amzn-ErrorType (text before ':' and after the last '#', as botocore
// does), falling back to a body "__type"/"code"; the message from "Message"/"message".
AwsError ParseAwsError(const http::Response& response);

// One line: "ResourceNotFoundException: Function not found: arn:... (HTTP 404)".
std::string FormatAwsError(const AwsError& error);

// Ok for 2xx. Otherwise a Status with the FormatAwsError text and a code by HTTP status:
// 404 NotFound, 400 InvalidArgument, 403 PermissionDenied, 409 FailedPrecondition,
// 413/429 ResourceExhausted, anything else Internal.
Status ResponseStatus(const http::Response& response);

// kExitUnavailable for Unavailable (the server could not be reached or stopped answering), else
// kExitFailure. Usage errors are reported by the commands themselves with kExitUsage.
int ExitCodeFor(const Status& status);

// Prints "thaw COMMAND: MESSAGE" to stderr and sets ctx.exit_code (ExitCodeFor(status) when
// exit_code is nullopt).
void ReportError(CommandContext& ctx, std::string_view command, const Status& status,
                 std::optional<int> exit_code = std::nullopt);

// ---- REST calls ------------------------------------------------------------------------------

// The keys thaw's CLI signs with when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
// (the server does not verify signatures yet; it identifies functions by their connection).
inline constexpr char kLocalAccessKeyId[] = "AKIATHAWLOCALCLI0000";
inline constexpr char kLocalSecretAccessKey[] = "thaw-local-cli-secret-key-000000000000000";
// The environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the
// local keys above.
auth::Credentials LocalCredentials();

// Parses the endpoint; the connection is made by the first call. Every request is signed with
// SigV4 (LocalCredentials), as the front door requires.
StatusOr<std::unique_ptr<http::Client>> Connect(const std::string& endpoint);

// "/2015-03-31/functions/NAME" + suffix ("/code", "/invocations", ...) + "?Qualifier=Q" when
// qualifier is non-empty. Name and qualifier are percent-encoded.
std::string FunctionTarget(std::string_view name, std::string_view suffix = "",
                           std::string_view qualifier = "");

// Sends one request and returns the answer whatever its HTTP status; Unavailable when the server
// cannot be reached. timeout_ms = 0 waits forever.
StatusOr<http::Response> Send(http::Client& client, const std::string& method,
                              const std::string& target, const std::string& body = "",
                              const http::Headers& headers = {},
                              int64_t timeout_ms = kControlTimeoutMs);

// Sends `body` (when not null) as JSON and returns the parsed JSON answer (null for an empty
// body). Non-2xx answers become ResponseStatus errors; a non-JSON 2xx body is Internal.
StatusOr<nlohmann::json> CallJson(http::Client& client, const std::string& method,
                                  const std::string& target, const nlohmann::json* body = nullptr);

// `text` on one line (newlines and tabs as spaces, trimmed), cut at `limit` with "...".
std::string OneLine(std::string_view text, size_t limit);

// ---- JSON (never throws) ---------------------------------------------------------------------

// object[key] when object is an object and the member is a string, else "".
std::string JsonString(const nlohmann::json& object, std::string_view key);
// object[key] when it is an integer, else fallback.
int64_t JsonInt(const nlohmann::json& object, std::string_view key, int64_t fallback = 0);
// json::dump that replaces invalid UTF-8 instead of throwing; indent < 0 is compact.
std::string DumpJson(const nlohmann::json& value, int indent = -1);

// ---- Arguments -------------------------------------------------------------------------------

// "K=V" flags in order; V may contain '=' and be empty. InvalidArgument for a missing '=' or a
// key Lambda would refuse (its pattern is [a-zA-Z]([a-zA-Z0-9_])+).
StatusOr<EnvVars> ParseEnvFlags(const std::vector<std::string>& flags);

// Lambda's rule for a bare function name: 1-64 of [A-Za-z0-9_-].
bool IsValidFunctionName(std::string_view name);

// The base name of dir made absolute and normal ("." -> the current directory's name).
std::string DefaultFunctionName(const std::string& dir);

// Reads a whole file, or standard input for "-".
StatusOr<std::string> ReadFileOrStdin(const std::string& path);

// ---- Building the deployment package ---------------------------------------------------------

struct ZipEntry {
  std::string name;  // path inside the archive, e.g. "bootstrap"
  std::string data;
  uint32_t unix_mode = 0644;  // permission bits, stored as Unix external attributes
};

// Builds a deflated zip in memory. Entry times are fixed, so equal inputs give equal bytes (and
// equal CodeSha256). IoError when libzip fails.
StatusOr<std::string> BuildZip(const std::vector<ZipEntry>& entries);

// The first executable "go" on path_env (a PATH value), else /usr/local/go/bin/go; NotFound with
// "Go toolchain not found; install golang-go" otherwise.
StatusOr<std::string> FindGoToolchain(std::string_view path_env);

// "amd64" for "x86_64", "arm64" for "arm64"; nullopt otherwise.
std::optional<std::string> GoArch(std::string_view lambda_arch);

struct ProcessResult {
  int exit_code = 0;   // the exit status, or 128 + signal number when killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (an absolute path; no shell, no PATH search) in cwd with exactly `env`
// ("K=V" strings) and waits for it. An error Status only when it could not be started.
StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& cwd);

// The current environment with each "K=V" in `overrides` replacing any K already set.
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& overrides);

// Runs `go build -tags lambda.norpc -trimpath -o TMP/bootstrap .` in package_dir for linux and
// the Lambda architecture (CGO off) and returns the zip with bootstrap (mode 0755) at its root.
// FailedPrecondition carrying the compiler output when the build fails.
StatusOr<std::string> BuildGoBootstrapZip(const std::string& package_dir, std::string_view arch);

// How a mechanism's Go package is built and named (docs/mechanisms.md).
struct MechanismBuild {
  std::string runtime;    // go1.x for go1.x, else provided.al2023
  std::string handler;    // the zip entry the Handler names
  bool norpc = true;      // -tags lambda.norpc (not for go1.x, which serves net/rpc)
  bool c_shared = false;  // shim: -buildmode=c-shared with cgo
};
// Unknown mechanisms give InvalidArgument listing the known ones.
StatusOr<MechanismBuild> MechanismBuildFor(const std::string& mechanism);
// As BuildGoBootstrapZip, for a mechanism: the zip holds build.handler.
StatusOr<std::string> BuildGoZip(const std::string& package_dir, std::string_view arch,
                                 const MechanismBuild& build);

// ---- Deploy ----------------------------------------------------------------------------------

struct DeploySpec {
  std::string name;
  std::string zip;  // the deployment package bytes
  std::string runtime = kDefaultRuntime;
  // Configuration given on the command line; unset fields keep the function's current value
  // on update and AWS's defaults on create.
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> timeout_s;
  std::optional<EnvVars> environment;  // replaces all variables, as AWS does
  std::optional<std::string> architecture;
  bool runtime_given = false;
  bool publish = false;
  // --mechanism: sets Handler (and Runtime for go1.x) and the thaw:mechanism tag.
  std::optional<std::string> mechanism;
  std::string handler = "bootstrap";
  // Waiting for State/LastUpdateStatus to settle between steps (AWS refuses an update while
  // one is in progress).
  int poll_interval_ms = 250;
  int max_polls = 480;
};

struct DeployResult {
  bool created = false;
  std::string code_sha256;
  int64_t code_size = 0;
  std::string version = "$LATEST";  // the published version with --publish
};

// GetFunction's Configuration, or nullopt when the server answers 404 ResourceNotFoundException.
StatusOr<std::optional<nlohmann::json>> FindFunction(http::Client& client, const std::string& name);

// The architecture to build for: the requested one, else the existing function's, else x86_64.
std::string ResolveArchitecture(const std::optional<std::string>& requested,
                                const std::optional<nlohmann::json>& existing);

// With no `existing` configuration CreateFunction; otherwise UpdateFunctionCode and, when any
// configuration was given, UpdateFunctionConfiguration. Waits for the function to settle after
// each step, then publishes a version when asked. Progress lines go to `progress` when not null.
StatusOr<DeployResult> DeployFunction(http::Client& client, const DeploySpec& spec,
                                      const std::optional<nlohmann::json>& existing,
                                      std::ostream* progress);

// "deployed NAME (created): CodeSha256=... CodeSize=N Version=$LATEST".
std::string FormatDeploySummary(const std::string& name, const DeployResult& result);

// ---- Listing and printing --------------------------------------------------------------------

// ListFunctions, following NextMarker until it is absent or empty.
StatusOr<std::vector<nlohmann::json>> ListAllFunctions(http::Client& client);

// Left-aligned columns separated by two spaces; the first row is the header. Every line ends
// with '\n' and carries no trailing spaces.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// NAME, RUNTIME, MEMORY, TIMEOUT, LAST MODIFIED for FunctionConfiguration objects.
std::string FormatFunctionTable(const std::vector<nlohmann::json>& functions);

// Writes text to stdout, adding '\n' unless it is empty or already ends with one.
void PrintLine(std::ostream& out, std::string_view text);

}  // namespace thaw::cli
