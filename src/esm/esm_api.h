// EsmApi: Lambda's event source mapping API (Create/Get/List/Update/DeleteEventSourceMapping,
// /2015-03-31/event-source-mappings) on the front door, and the mappings' lives: the state
// machine (Creating -> Enabled, Enabling, Disabling -> Disabled, Updating, Deleting -> gone, each
// settling after `transition`), durability in state.db, and one Reader per mapping that polls.
// What a mapping reads is a Source (SQS today).
// Threads: everything runs on the loop; state.db writes go to the control thread, and a
// request is answered (on the loop) once its change is committed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "esm/mapping.h"
#include "esm/source.h"
#include "http/api.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::esm {

class EsmApi final : public http::Api {
 public:
  struct Options {
    boost::asio::io_context& loop;
    boost::asio::io_context& control;  // one thread; the only user of `db` once serving
    store::Database& db;               // state.db
    const lambda::Registry& registry;
    const Clock& clock;
    std::chrono::milliseconds transition{2000};  // how long a transitional state lasts
  };

  explicit EsmApi(Options options);
  ~EsmApi() override;
  EsmApi(const EsmApi&) = delete;
  EsmApi& operator=(const EsmApi&) = delete;

  void AddSource(std::unique_ptr<Source> source);
  // Creates the table, loads the stored mappings (a transitional state settles at once) and
  // starts the enabled ones. Before `control` runs.
  Status Start();

  // Server shutdown: every reader stops (a batch being invoked still has its successes
  // deleted); the mappings stay as they are stored.
  void Stop();

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

  // The function `key` (a FunctionKey) was created, changed or deleted (called on the loop): its
  // mappings stop reading while their function does not resolve and start again once it does.
  void FunctionChanged(const std::string& key);

  // Handle without the HTTP connection: `done` gets the response, now or once committed (on the
  // loop). False when the request is not for this API.
  bool Serve(const http::Request& request, std::function<void(http::Response)> done);
  // What /thaw/esm answers: every mapping with its shards' counters (thaw esm).
  nlohmann::json Stats() const;
  // For tests: the mapping, if it exists.
  const Mapping* Find(const std::string& uuid) const;

 private:
  struct Entry {
    Mapping mapping;
    Source* source = nullptr;
    std::unique_ptr<Reader> reader;
    std::unique_ptr<boost::asio::steady_timer> settle;
  };
  using Done = std::function<void(http::Response)>;

  std::optional<http::Response> Create(const http::Request& request, const Done& done);
  http::Response Get(const std::string& uuid) const;
  http::Response List(const http::Request& request) const;
  std::optional<http::Response> Update(const std::string& uuid, const http::Request& request,
                                       const Done& done);
  std::optional<http::Response> Delete(const std::string& uuid, const Done& done);

  // The API's JSON for a mapping, with its reader's LastProcessingResult.
  nlohmann::json View(const Entry& e) const;
  // ResourceConflictException when another mapping joins the same function and source.
  std::optional<http::Response> Conflict(const Mapping& m) const;
  Source* SourceFor(std::string_view arn) const;
  int64_t NowMs() const { return clock_.RealtimeMillis(); }
  // Starts or stops the reader to match the state, and arms the settle timer if transitional.
  void Apply(Entry& e);
  void OnSettle(const std::string& uuid);
  // Writes (or with `remove`, deletes) the mapping on the control thread, then calls `done` on
  // the loop with the result.
  void Persist(const Mapping& m, bool remove, std::function<void(Status)> done);

  boost::asio::io_context& loop_;
  boost::asio::io_context& control_;
  store::Database& db_;
  const lambda::Registry& registry_;
  const Clock& clock_;
  std::chrono::milliseconds transition_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::map<std::string, Entry> mappings_;  // by UUID
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace thaw::esm
