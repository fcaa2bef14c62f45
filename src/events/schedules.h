// Schedules: the EventBridge rules and Scheduler schedules of the server, durable in state.db,
// and their timers. Each enabled job with an expression waits on a steady timer for its next
// run and then delivers through the delivery sinks: a Lambda target as an Event invoke (a rule's
// as events.amazonaws.com, so the function's resource policy must allow the rule; a schedule's
// through its execution role, unchecked), an SQS or SNS target as a message.
// `time_scale` multiplies every wait (tests make minutes into milliseconds): each job keeps its
// own schedule clock, which advances by exactly one period per run, so a scaled cron still runs
// at each of its times in turn. A restarted server starts every job from now (missed runs are
// not replayed, as on AWS).
// Threads: loop thread only; state.db writes go to the control thread, and a change's `done`
// comes back on the loop once committed. Time zones are read from tzdata once each, on first use.
#pragma once

#include <chrono>
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
#include "delivery/destinations.h"
#include "events/job.h"
#include "schedule/expression.h"
#include "store/sqlite.h"

namespace thaw::events {

class Schedules {
 public:
  struct Options {
    boost::asio::io_context& loop;
    boost::asio::io_context& control;  // one thread; the only user of `db` once serving
    store::Database& db;               // state.db
    delivery::Sinks& sinks;
    const Clock& clock;
    double time_scale = 1.0;
  };

  explicit Schedules(Options options);
  ~Schedules();
  Schedules(const Schedules&) = delete;
  Schedules& operator=(const Schedules&) = delete;

  // Creates the table, loads the stored jobs and arms the enabled ones. Before `control` runs.
  Status Start();
  void Stop();

  // The zone named ("" is UTC), or InvalidArgument.
  StatusOr<schedule::TimeZone> Zone(const std::string& name);
  // Checks `job`'s expression and zone (InvalidArgument with AWS's text), stores it (replacing
  // one with its key) and arms it; `done` once committed.
  Status Put(Job job, std::function<void(Status)> done);
  // Forgets the job; `done` once committed. False when there is none.
  bool Remove(const std::string& key, std::function<void(Status)> done);
  const Job* Find(const std::string& key) const;
  // The jobs of `kind` in `account`, by name.
  std::vector<const Job*> List(const std::string& account, Job::Kind kind) const;
  // When the job runs next (Unix ms, by the wall clock); nullopt when it does not.
  std::optional<int64_t> NextRunMs(const std::string& key) const;
  // What GET /thaw/schedules answers (thaw schedules): every job with its next run.
  nlohmann::json Stats() const;
  // How many times each job has fired, for tests.
  int64_t fired(const std::string& key) const;
  int64_t NowMs() const { return clock_.RealtimeMillis(); }

 private:
  struct Entry {
    Job job;
    std::optional<schedule::Expression> expression;
    schedule::TimeZone zone;
    std::unique_ptr<boost::asio::steady_timer> timer;
    int64_t cursor_s = 0;                // the schedule clock: the last run, or the start
    std::optional<int64_t> next_s;       // on the schedule clock
    std::optional<int64_t> deadline_ms;  // the wall clock's time of next_s
    int64_t fired = 0;
    uint64_t armed = 0;  // which Wait a queued timer handler belongs to
  };

  void Arm(Entry& e, int64_t from_s);
  void Wait(Entry& e);
  void Fire(const std::string& key, uint64_t armed);
  void Deliver(const Entry& e, int64_t time_s);
  void Persist(const std::string& key, std::optional<std::string> stored,
               std::function<void(Status)> done);

  boost::asio::io_context& loop_;
  boost::asio::io_context& control_;
  store::Database& db_;
  delivery::Sinks& sinks_;
  const Clock& clock_;
  double time_scale_;
  std::map<std::string, Entry> jobs_;
  std::map<std::string, schedule::TimeZone> zones_;
  bool stopped_ = false;
  uint64_t arms_ = 0;  // numbers every Wait, across entries
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace thaw::events
