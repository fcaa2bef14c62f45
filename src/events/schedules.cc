#include "events/schedules.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "lambda/invoke_permission.h"

namespace thaw::events {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

void LogFailure(const std::string& key, const std::string& target, Status s) {
  if (!s.ok()) {
    THAW_LOG(kWarn, "events") << key << ": delivering to " << target << ": " << s.ToString();
  }
}

}  // namespace

Schedules::Schedules(Options options)
    : loop_(options.loop),
      control_(options.control),
      db_(options.db),
      sinks_(options.sinks),
      clock_(options.clock),
      time_scale_(options.time_scale) {}

Schedules::~Schedules() { Stop(); }

Status Schedules::Start() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("CREATE TABLE IF NOT EXISTS schedules (key TEXT PRIMARY KEY, job TEXT NOT NULL)"));
  THAW_ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT job FROM schedules"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto job = Job::FromJson(json::parse(stmt.Text(0), nullptr, false));
    if (!job.ok()) {
      THAW_LOG(kWarn, "events") << "skipping a stored schedule: " << job.status().ToString();
      continue;
    }
    std::string key = job->Key();
    Entry& e = jobs_[key];
    e.job = std::move(*job);
    if (!e.job.expression.empty()) {
      auto expression = schedule::Parse(e.job.expression, e.job.kind == Job::Kind::kSchedule);
      auto zone = Zone(e.job.timezone);
      if (expression.ok() && zone.ok()) {
        e.expression = std::move(*expression);
        e.zone = *zone;
      }
    }
    Arm(e, NowMs() / 1000);
  }
  return Status::Ok();
}

void Schedules::Stop() {
  stopped_ = true;
  for (auto& [key, e] : jobs_) e.timer.reset();
}

StatusOr<schedule::TimeZone> Schedules::Zone(const std::string& name) {
  if (name.empty()) return schedule::TimeZone();
  if (auto it = zones_.find(name); it != zones_.end()) return it->second;
  THAW_ASSIGN_OR_RETURN(auto zone, schedule::TimeZone::Load(name));
  zones_.emplace(name, zone);
  return zone;
}

Status Schedules::Put(Job job, std::function<void(Status)> done) {
  std::optional<schedule::Expression> expression;
  if (!job.expression.empty()) {
    THAW_ASSIGN_OR_RETURN(expression,
                          schedule::Parse(job.expression, job.kind == Job::Kind::kSchedule));
  }
  THAW_ASSIGN_OR_RETURN(auto zone, Zone(job.timezone));
  std::string key = job.Key();
  Entry& e = jobs_[key];
  e.job = std::move(job);
  e.expression = std::move(expression);
  e.zone = zone;
  Arm(e, NowMs() / 1000);
  Persist(key, e.job.ToJson().dump(), std::move(done));
  return Status::Ok();
}

bool Schedules::Remove(const std::string& key, std::function<void(Status)> done) {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return false;
  jobs_.erase(it);  // its timer's handler sees the entry gone
  Persist(key, std::nullopt, std::move(done));
  return true;
}

const Job* Schedules::Find(const std::string& key) const {
  auto it = jobs_.find(key);
  return it == jobs_.end() ? nullptr : &it->second.job;
}

std::vector<const Job*> Schedules::List(const std::string& account, Job::Kind kind) const {
  std::vector<const Job*> out;
  for (const auto& [key, e] : jobs_) {
    if (e.job.account == account && e.job.kind == kind) out.push_back(&e.job);
  }
  std::sort(out.begin(), out.end(), [](const Job* a, const Job* b) { return a->name < b->name; });
  return out;
}

std::optional<int64_t> Schedules::NextRunMs(const std::string& key) const {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.deadline_ms;
}

int64_t Schedules::fired(const std::string& key) const {
  auto it = jobs_.find(key);
  return it == jobs_.end() ? 0 : it->second.fired;
}

json Schedules::Stats() const {
  json out = json::array();
  for (const auto& [key, e] : jobs_) {
    json targets = json::array();
    for (const Target& t : e.job.targets) targets.push_back(t.arn);
    json item = {{"Kind", e.job.kind == Job::Kind::kRule ? "rule" : "schedule"},
                 {"Name", e.job.name},
                 {"Arn", e.job.Arn()},
                 {"Expression", e.job.expression},
                 {"Timezone", e.job.timezone.empty() ? "UTC" : e.job.timezone},
                 {"State", e.job.state},
                 {"Targets", std::move(targets)},
                 {"Fired", e.fired}};
    if (e.deadline_ms) item["NextRun"] = FormatIsoMillis(*e.deadline_ms);
    out.push_back(std::move(item));
  }
  return {{"Schedules", std::move(out)}};
}

void Schedules::Arm(Entry& e, int64_t from_s) {
  e.timer.reset();
  e.next_s.reset();
  e.deadline_ms.reset();
  e.cursor_s = from_s;
  if (stopped_ || !e.job.enabled() || !e.expression) return;
  Wait(e);
}

void Schedules::Wait(Entry& e) {
  e.next_s = e.expression->NextRun(e.cursor_s, e.zone);
  // Between StartDate and EndDate only: a rate counts its periods from the start.
  if (e.next_s && e.job.start_s && *e.next_s < *e.job.start_s) {
    e.next_s = e.expression->kind == schedule::Expression::Kind::kRate
                   ? *e.job.start_s
                   : e.expression->NextRun(*e.job.start_s - 1, e.zone);
  }
  if (e.next_s && e.job.end_s && *e.next_s > *e.job.end_s) e.next_s.reset();
  if (!e.next_s) {
    e.deadline_ms.reset();
    return;
  }
  double wait_ms = static_cast<double>(*e.next_s - e.cursor_s) * 1000.0 * time_scale_;
  auto wait = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(wait_ms)));
  e.deadline_ms = NowMs() + wait.count();
  e.timer = std::make_unique<asio::steady_timer>(loop_, wait);
  // A handler already queued when the timer is replaced or destroyed still runs with success:
  // the token and the generation keep it from touching a freed or re-armed entry.
  e.timer->async_wait([this, alive = std::weak_ptr<int>(alive_), key = e.job.Key(),
                       armed = e.armed = ++arms_](const boost::system::error_code& ec) {
    if (!ec && !alive.expired()) Fire(key, armed);
  });
}

void Schedules::Fire(const std::string& key, uint64_t armed) {
  auto it = jobs_.find(key);
  if (it == jobs_.end() || stopped_) return;
  Entry& e = it->second;
  if (!e.next_s || e.armed != armed) return;
  int64_t at_s = *e.next_s;
  ++e.fired;
  Deliver(e, at_s);
  e.cursor_s = at_s;
  Wait(e);
  if (!e.next_s && e.job.kind == Job::Kind::kSchedule &&
      e.job.action_after_completion == "DELETE") {
    Remove(key, [](Status) {});
  }
}

void Schedules::Deliver(const Entry& e, int64_t time_s) {
  const Job& job = e.job;
  const std::string key = job.Key();
  const std::string arn = job.Arn();
  json event = ScheduledEvent(job.account, arn, time_s * 1000, NewUuid());
  for (const Target& t : job.targets) {
    std::string payload;
    if (job.kind == Job::Kind::kSchedule) {
      // Scheduler delivers its Input as it is.
      payload = t.input.value_or("{}");
    } else {
      payload = TargetPayload(t, event);
    }
    auto log = [key, target = t.arn](Status s) { LogFailure(key, target, std::move(s)); };
    if (t.arn.starts_with("arn:aws:lambda:")) {
      if (job.kind == Job::Kind::kRule) {
        sinks_.InvokeAsyncAs(
            lambda::InvokePrincipal::Service("events.amazonaws.com", arn, job.account), t.arn,
            std::move(payload), "", log);
      } else {
        sinks_.InvokeAsync(t.arn, std::move(payload), log);
      }
    } else if (t.arn.starts_with("arn:aws:sqs:")) {
      sinks_.SendToQueue(t.arn, std::move(payload), {}, log);
    } else if (t.arn.starts_with("arn:aws:sns:")) {
      sinks_.PublishToTopic(t.arn, std::move(payload), {}, log);
    } else {
      THAW_LOG(kWarn, "events") << key << ": thaw cannot deliver to " << t.arn;
    }
  }
}

void Schedules::Persist(const std::string& key, std::optional<std::string> stored,
                        std::function<void(Status)> done) {
  asio::post(control_, [this, alive = std::weak_ptr<int>(alive_), key, stored = std::move(stored),
                        done = std::move(done)]() mutable {
    if (alive.expired()) return;
    Status s = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto stmt,
                            db_.Prepare(stored ? "INSERT OR REPLACE INTO schedules VALUES (?, ?)"
                                               : "DELETE FROM schedules WHERE key = ?"));
      stmt.Bind(1, key);
      if (stored) stmt.Bind(2, *stored);
      return stmt.Run();
    }();
    if (!s.ok()) THAW_LOG(kError, "events") << "storing " << key << ": " << s.ToString();
    asio::post(loop_, [alive, s, done = std::move(done)] {
      if (!alive.expired()) done(s);
    });
  });
}

}  // namespace thaw::events
