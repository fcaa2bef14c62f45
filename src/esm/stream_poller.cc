#include "esm/stream_poller.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "esm/sqs_event.h"

namespace thaw::esm {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr char kOk[] = "OK";
constexpr char kProblem[] = "PROBLEM: Function call failed";
constexpr int64_t kEnvelopeBytes = 64;  // {"Records":[]} and commas, with room

// "2019-11-14T00:13:19Z" (DynamoDB) or with milliseconds (Kinesis).
std::string ArrivalTime(int64_t ms, bool millis) {
  std::string iso = FormatIsoMillis(ms);
  if (!millis && iso.size() > 5) iso = iso.substr(0, iso.size() - 5) + "Z";
  return iso;
}

}  // namespace

int CompareSeq(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
    return s;
  };
  if (a.empty() || b.empty()) return a.empty() ? (b.empty() ? 0 : -1) : 1;
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

json StreamFailureRecord(std::string_view info_name, const std::string& function_arn,
                         const std::string& stream_arn, const std::string& shard,
                         const std::vector<LogRecord>& records, std::string_view condition,
                         int64_t invokes, int64_t now_ms) {
  const bool millis = info_name == "KinesisBatchInfo";
  json out = {
      {"requestContext",
       {{"requestId", NewUuid()},
        {"functionArn", function_arn},
        {"condition", condition},
        {"approximateInvokeCount", invokes}}},
      {"version", "1.0"},
      {"timestamp", FormatIsoMillis(now_ms)},
  };
  if (invokes > 0) {
    out["responseContext"] = {
        {"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}};
  }
  json info = {{"shardId", shard}, {"batchSize", records.size()}, {"streamArn", stream_arn}};
  if (!records.empty()) {
    info["startSequenceNumber"] = records.front().seq;
    info["endSequenceNumber"] = records.back().seq;
    info["approximateArrivalOfFirstRecord"] = ArrivalTime(records.front().arrival_ms, millis);
    info["approximateArrivalOfLastRecord"] = ArrivalTime(records.back().arrival_ms, millis);
  }
  out[std::string(info_name)] = info;
  return out;
}

struct StreamPoller::Core : std::enable_shared_from_this<StreamPoller::Core> {
  struct Segment {
    std::vector<LogRecord> records;  // empty only for a window's final invoke
    bool final_for_window = false;
    int64_t retries = 0;  // failed invokes of this segment
    int64_t invokes = 0;
    bool bisected = false;  // a half of a failed batch
  };
  struct Shard {
    ShardStats stats;
    bool busy = false;  // a batch is being gathered, invoked, retried or checkpointed
    int64_t window_deadline_ms = 0;
    // The batches in flight, one lane per concurrent batch (ParallelizationFactor); a lane holds
    // more than one segment after a bisection. A round ends when every lane is done.
    std::vector<std::deque<Segment>> lanes;
    size_t lanes_left = 0;
    std::string job_end;          // the checkpoint once every segment is done
    int64_t window_start_ms = 0;  // the open tumbling window; 0 for none
    json window_state = json::object();
    bool window_timer = false;  // armed for the open window's end
    int64_t saving = 0;         // round-end checkpoints not yet durable
    bool held = false;          // the next round waits for an earlier checkpoint to commit
  };

  asio::io_context& loop;
  ShardLog& log;
  Checkpoints& checkpoints;
  InvokeFn invoke;
  FailureFn fail;
  const Clock& clock;
  Settings settings;
  Options options;
  std::map<std::string, Shard> shards;
  std::string last_result;
  bool stopped = false;
  bool initialized = false;
  std::shared_ptr<void> listening;
  std::unique_ptr<asio::steady_timer> poll_timer;

  Core(asio::io_context& l, ShardLog& lg, Checkpoints& cps, InvokeFn fn, FailureFn f,
       const Clock& c, Settings s, Options o)
      : loop(l),
        log(lg),
        checkpoints(cps),
        invoke(std::move(fn)),
        fail(std::move(f)),
        clock(c),
        settings(std::move(s)),
        options(o) {}

  int64_t NowMs() const { return clock.RealtimeMillis(); }

  void After(int64_t ms, std::function<void()> then) {
    auto timer = std::make_shared<asio::steady_timer>(loop, std::chrono::milliseconds(ms));
    timer->async_wait([timer, self = shared_from_this(),
                       then = std::move(then)](const boost::system::error_code&) {
      if (!self->stopped) then();
    });
  }

  void Start() {
    if (options.poll_interval_ms > 0) {
      Poll();
    } else {
      std::weak_ptr<Core> weak = shared_from_this();
      listening = log.Listen([weak] {
        if (auto self = weak.lock(); self && !self->stopped) self->Scan();
      });
      Scan();
    }
  }

  void Poll() {
    if (stopped) return;
    Scan();
    poll_timer = std::make_unique<asio::steady_timer>(
        loop, std::chrono::milliseconds(options.poll_interval_ms));
    poll_timer->async_wait(
        [weak = std::weak_ptr<Core>(shared_from_this())](const boost::system::error_code& ec) {
          auto self = weak.lock();
          if (!ec && self) self->Poll();
        });
  }

  // Where a shard first seen starts: its checkpoint, else the starting position (for the shards
  // there at the mapping's first start), else its beginning.
  std::string StartOf(const ShardInfo& info, bool first_start) {
    if (auto cp = checkpoints.Get(settings.uuid, info.id)) return *cp;
    if (!first_start) return "";
    if (settings.starting_position == "LATEST") return log.Latest(info.id);
    if (settings.starting_position == "AT_TIMESTAMP") {
      return log.AtTimestamp(info.id, settings.starting_ts_ms);
    }
    return "";
  }

  // A tumbling window left open by the last run, with its state.
  void LoadWindow(Shard& sh) {
    if (settings.tumbling_window_s <= 0) return;
    json saved = json::parse(checkpoints.Window(settings.uuid, sh.stats.shard), nullptr, false);
    if (!saved.is_object() || !saved["start"].is_number_integer() || !saved["state"].is_object()) {
      return;
    }
    sh.window_start_ms = saved["start"].get<int64_t>();
    sh.window_state = saved["state"];
  }

  void Scan() {
    if (stopped || !log.Exists()) return;
    std::vector<ShardInfo> infos = log.Shards();
    if (!initialized) {
      initialized = true;
      const bool first_start = !checkpoints.Started(settings.uuid);
      for (const ShardInfo& info : infos) {
        Shard& sh = shards[info.id];
        sh.stats.shard = info.id;
        sh.stats.parent = info.parent;
        sh.stats.adjacent_parent = info.adjacent_parent;
        sh.stats.checkpoint = StartOf(info, first_start);
        LoadWindow(sh);
        // A LATEST position is stored at once, so a restart does not move it.
        if (first_start && !sh.stats.checkpoint.empty()) {
          checkpoints.Save(settings.uuid, info.id, sh.stats.checkpoint, [](const Status&) {});
        }
      }
    }
    std::set<std::string> present;
    for (const ShardInfo& info : infos) {
      present.insert(info.id);
      if (!shards.contains(info.id)) {
        Shard& sh = shards[info.id];
        sh.stats.shard = info.id;
        sh.stats.parent = info.parent;
        sh.stats.adjacent_parent = info.adjacent_parent;
        sh.stats.checkpoint = StartOf(info, false);
        LoadWindow(sh);
      }
    }
    for (auto& [id, sh] : shards) {
      if (sh.stats.finished || !present.contains(id)) continue;
      // After a merge both parents come first.
      auto unfinished = [&](const std::string& parent_id) {
        auto parent = shards.find(parent_id);
        return !parent_id.empty() && parent != shards.end() && present.contains(parent_id) &&
               !parent->second.stats.finished;
      };
      sh.stats.waiting_for_parent =
          unfinished(sh.stats.parent) || unfinished(sh.stats.adjacent_parent);
      if (!sh.stats.waiting_for_parent) Pump(id);
    }
  }

  void Pump(const std::string& id) {
    if (stopped) return;
    Shard& sh = shards[id];
    if (sh.busy || sh.stats.finished) return;
    std::vector<LogRecord> records =
        log.Read(id, sh.stats.checkpoint, static_cast<size_t>(settings.batch_size));
    if (settings.tumbling_window_s > 0 && Windowed(id, records)) return;
    if (records.empty()) {
      if (log.Finished(id, sh.stats.checkpoint)) {
        sh.stats.finished = true;
        // Its children may start now.
        asio::post(loop, [self = shared_from_this()] {
          if (!self->stopped) self->Scan();
        });
      }
      return;
    }
    if (settings.batching_window_ms > 0 &&
        static_cast<int64_t>(records.size()) < settings.batch_size) {
      const int64_t now = clock.MonotonicNanos() / 1000000;
      if (sh.window_deadline_ms == 0) {
        sh.window_deadline_ms = now + settings.batching_window_ms;
        After(settings.batching_window_ms, [self = shared_from_this(), id] { self->Pump(id); });
      }
      if (now < sh.window_deadline_ms) return;
    }
    sh.window_deadline_ms = 0;
    // Records go to lanes by partition key, so a key's records stay in order; a round ends
    // where a lane is full (BatchSize or 6 MB).
    const size_t lanes = static_cast<size_t>(std::max<int64_t>(1, settings.parallelization));
    std::vector<Segment> segs(lanes);
    std::vector<int64_t> bytes(lanes, kEnvelopeBytes);
    std::string end = sh.stats.checkpoint;
    bool window_ends = false;
    for (LogRecord& r : records) {
      if (settings.tumbling_window_s > 0 && r.seq == next_window_record_) {
        window_ends = true;
        break;
      }
      const size_t lane = lanes == 1 ? 0 : std::hash<std::string>{}(r.partition_key) % lanes;
      Segment& seg = segs[lane];
      if (!seg.records.empty() &&
          (bytes[lane] + r.bytes + 1 > options.max_payload_bytes ||
           static_cast<int64_t>(seg.records.size()) >= settings.batch_size)) {
        break;
      }
      end = r.seq;
      if (settings.filter && r.event.is_null() && !r.text.empty()) {
        r.event = json::parse(r.text, nullptr, false);
      }
      if (settings.filter && !settings.filter(r.event)) {
        ++sh.stats.filtered;
        continue;
      }
      bytes[lane] += r.bytes + 1;
      seg.records.push_back(std::move(r));
    }
    sh.busy = true;
    sh.job_end = end;
    sh.lanes.assign(lanes, {});
    sh.lanes_left = 0;
    for (size_t i = 0; i < lanes; ++i) {
      if (segs[i].records.empty()) continue;
      // The last batch of its window when a record of a later window follows it.
      segs[i].final_for_window = settings.tumbling_window_s > 0 && window_ends;
      sh.lanes[i].push_back(std::move(segs[i]));
      ++sh.lanes_left;
    }
    if (sh.lanes_left == 0) {
      // Everything was filtered out: checkpoint past it.
      RoundDone(id, end);
      return;
    }
    for (size_t i = 0; i < lanes; ++i) {
      if (!sh.lanes[i].empty()) Run(id, i);
    }
  }

  int64_t WindowOf(int64_t arrival_ms) const {
    const int64_t w = settings.tumbling_window_s * 1000;
    return arrival_ms / w * w;
  }

  // Tumbling windows: keeps in `records` only those of the open window (opening one if none is),
  // and makes the window's final invoke (no records) once it has ended with nothing more to
  // read. True when it took over the shard (a final invoke, or waiting for the window's end).
  bool Windowed(const std::string& id, std::vector<LogRecord>& records) {
    Shard& sh = shards[id];
    const int64_t width = settings.tumbling_window_s * 1000;
    if (sh.window_start_ms == 0 && !records.empty()) {
      sh.window_start_ms = WindowOf(records.front().arrival_ms);
    }
    if (sh.window_start_ms == 0) return false;
    auto later = std::find_if(records.begin(), records.end(), [&](const LogRecord& r) {
      return WindowOf(r.arrival_ms) != sh.window_start_ms;
    });
    if ((!records.empty() && later == records.begin()) ||
        (records.empty() && NowMs() >= sh.window_start_ms + width)) {
      // The window is over and all of it delivered: its final invoke, with no records.
      Segment seg;
      seg.final_for_window = true;
      sh.busy = true;
      sh.job_end = sh.stats.checkpoint;
      sh.lanes.assign(1, {});
      sh.lanes[0].push_back(std::move(seg));
      sh.lanes_left = 1;
      Run(id, 0);
      return true;
    }
    if (later != records.end()) {
      // Keep one record of the next window so Pump knows this batch ends the window.
      records.erase(later + 1, records.end());
      // ...but never deliver it in this window's batch.
      next_window_record_ = records.back().seq;
    } else {
      next_window_record_.clear();
    }
    if (records.empty() && !sh.window_timer) {
      sh.window_timer = true;
      After(std::max<int64_t>(1, sh.window_start_ms + width - NowMs()),
            [self = shared_from_this(), id] {
              self->shards[id].window_timer = false;
              self->Pump(id);
            });
    }
    return false;
  }
  std::string next_window_record_;  // set by Windowed for the Pump that called it

  // The batch is finished (delivered, given up or filtered) and checkpointed: read on.
  void Done(const std::string& id) {
    Shard& sh = shards[id];
    sh.busy = false;
    sh.stats.behind = log.Behind(id, sh.stats.checkpoint);
    Pump(id);
  }

  // The round is over through `seq`: its checkpoint is saved, and the next round starts while
  // it commits, unless the previous round's checkpoint still commits too. So at most one batch
  // past the one in flight is beyond the durable checkpoint (and comes again after a crash).
  void RoundDone(const std::string& id, const std::string& seq) {
    Shard& sh = shards[id];
    if (!seq.empty() && seq != sh.stats.checkpoint) {
      ++sh.saving;
      Checkpoint(id, seq, [self = shared_from_this(), id] {
        Shard& s = self->shards[id];
        --s.saving;
        if (s.held && s.saving <= 1) {
          s.held = false;
          self->Done(id);
        }
      });
    }
    if (sh.saving > 1) {
      sh.held = true;
      return;
    }
    Done(id);
  }

  void Checkpoint(const std::string& id, const std::string& seq, std::function<void()> then) {
    Shard& sh = shards[id];
    if (seq.empty() || seq == sh.stats.checkpoint) {
      then();
      return;
    }
    sh.stats.checkpoint = seq;
    std::string window;
    if (settings.tumbling_window_s > 0 && sh.window_start_ms != 0) {
      window = json{{"start", sh.window_start_ms}, {"state", sh.window_state}}.dump();
    }
    checkpoints.Save(
        settings.uuid, id, seq,
        [self = shared_from_this(), then = std::move(then)](const Status&) {
          if (!self->stopped) then();
        },
        std::move(window));
  }

  void Run(const std::string& id, size_t lane) {
    if (stopped) return;
    Shard& sh = shards[id];
    Segment& seg = sh.lanes[lane].front();
    if (settings.max_record_age_s >= 0 && !seg.records.empty() &&
        NowMs() - seg.records.front().arrival_ms > settings.max_record_age_s * 1000) {
      GiveUp(id, lane, "RecordAgeExceeded");
      return;
    }
    ++sh.stats.batches;
    ++seg.invokes;
    InvokeMeta meta;
    meta.source.mapping = settings.uuid;
    meta.source.source_arn = settings.event_source_arn;
    meta.source.shard = id;
    meta.source.batch_size = static_cast<int64_t>(seg.records.size());
    meta.source.attempt = seg.invokes;
    meta.source.bisected = seg.bisected;
    meta.source.invoked_ms = NowMs();
    if (!seg.records.empty()) {
      meta.source.first_seq = seg.records.front().seq;
      meta.source.last_seq = seg.records.back().seq;
      meta.source.first_arrival_ms = seg.records.front().arrival_ms;
      meta.source.last_arrival_ms = seg.records.back().arrival_ms;
    }
    invoke(settings.function_arn, BatchEvent(id, seg), std::move(meta),
           [self = shared_from_this(), id, lane](InvokeOutcome outcome) {
             if (!self->stopped) self->Finished(id, lane, outcome);
           });
  }

  // The event's JSON: the records' texts joined (each dumped if the log gave none), then the
  // tumbling window's members.
  std::string BatchEvent(const std::string& id, const Segment& seg) {
    Shard& sh = shards[id];
    size_t size = kEnvelopeBytes;
    for (const LogRecord& r : seg.records) size += static_cast<size_t>(r.bytes) + 1;
    std::string out;
    out.reserve(size);
    out += R"({"Records":[)";
    for (size_t i = 0; i < seg.records.size(); ++i) {
      if (i > 0) out += ',';
      const LogRecord& r = seg.records[i];
      out += r.text.empty() ? r.event.dump() : r.text;
    }
    out += ']';
    if (settings.tumbling_window_s > 0) {
      json event = json::object();
      auto iso = [](int64_t ms) {
        std::string t = FormatIsoMillis(ms);
        return t.substr(0, t.size() - 5) + "Z";  // whole seconds, as AWS shows them
      };
      event["window"] = {{"start", iso(sh.window_start_ms)},
                         {"end", iso(sh.window_start_ms + settings.tumbling_window_s * 1000)}};
      event["state"] = sh.window_state;
      event["shardId"] = id;
      event["eventSourceARN"] = settings.event_source_arn;
      event["isFinalInvokeForWindow"] = seg.final_for_window;
      event["isWindowTerminatedEarly"] = false;
      const std::string members = event.dump();  // {...}: its members go after Records
      out += ',';
      out.append(members, 1, members.size() - 2);
    }
    out += '}';
    return out;
  }

  void Finished(const std::string& id, size_t lane, const InvokeOutcome& outcome) {
    Shard& sh = shards[id];
    Segment& seg = sh.lanes[lane].front();
    if (!seg.records.empty()) {
      sh.stats.iterator_age_ms = std::max<int64_t>(0, NowMs() - seg.records.back().arrival_ms);
    }
    Invocation inv{.request_id = outcome.request_id,
                   .first_seq = seg.records.empty() ? "" : seg.records.front().seq,
                   .last_seq = seg.records.empty() ? "" : seg.records.back().seq,
                   .records = static_cast<int64_t>(seg.records.size()),
                   .result = "OK"};
    auto remember = [&sh](Invocation i, std::string result) {
      i.result = std::move(result);
      auto& list = sh.stats.invocations;
      list.push_back(std::move(i));
      if (list.size() > kKeptInvocations) list.erase(list.begin());
    };
    if (outcome.kind == InvokeOutcome::Kind::kNotInvoked) {
      remember(inv, "Throttled");
      --seg.invokes;
      After(options.retry_delay_ms, [self = shared_from_this(), id, lane] { self->Run(id, lane); });
      return;
    }
    bool failed = outcome.kind == InvokeOutcome::Kind::kFunctionError;
    size_t first_failed = seg.records.size();
    if (!failed && settings.tumbling_window_s > 0) {
      // The function must answer the window's new state.
      json answer = json::parse(outcome.body, nullptr, false);
      // A null state (an empty map in aws-lambda-go) is an empty one.
      if (answer.is_object() && answer.contains("state") && answer["state"].is_null()) {
        answer["state"] = json::object();
      }
      if (!answer.is_object() || !answer.contains("state") || !answer["state"].is_object()) {
        failed = true;
      } else if (seg.final_for_window) {
        sh.window_start_ms = 0;
        sh.window_state = json::object();
      } else {
        sh.window_state = answer["state"];
      }
    }
    if (!failed && settings.report_item_failures) {
      std::set<std::string> seqs;
      for (const LogRecord& r : seg.records) seqs.insert(r.seq);
      auto parsed = ParseBatchFailures(outcome.body, seqs);
      if (!parsed) {
        failed = true;  // a malformed response fails the whole batch
      } else if (!parsed->empty()) {
        for (size_t i = 0; i < seg.records.size(); ++i) {
          if (parsed->contains(seg.records[i].seq)) {
            first_failed = i;
            break;
          }
        }
      }
    }
    remember(inv, outcome.kind == InvokeOutcome::Kind::kFunctionError ? "FunctionError"
                  : failed                                            ? "BadResponse"
                  : first_failed < seg.records.size()                 ? "PartialFailure"
                                                                      : "OK");
    if (!failed && first_failed == seg.records.size()) {
      sh.stats.last_result = last_result = kOk;
      sh.stats.records += static_cast<int64_t>(seg.records.size());
      std::string through = seg.records.empty() ? "" : seg.records.back().seq;
      sh.lanes[lane].pop_front();
      NextSegment(id, lane, std::move(through));
      return;
    }
    if (!failed) {
      // Partial: what precedes the lowest failed record is done; the rest is retried.
      sh.stats.last_result = last_result = kOk;
      sh.stats.records += static_cast<int64_t>(first_failed);
      std::string through = first_failed > 0 ? seg.records[first_failed - 1].seq : "";
      seg.records.erase(seg.records.begin(), seg.records.begin() + first_failed);
      Retry(id, lane, std::move(through));
      return;
    }
    sh.stats.last_result = last_result = kProblem;
    if (settings.bisect && seg.records.size() > 1) {
      ++sh.stats.bisections;
      Segment second;
      const size_t half = seg.records.size() / 2;
      second.records.assign(std::make_move_iterator(seg.records.begin() + half),
                            std::make_move_iterator(seg.records.end()));
      seg.records.resize(half);
      seg.bisected = second.bisected = true;
      seg.retries = 0;
      seg.invokes = 0;
      sh.lanes[lane].insert(sh.lanes[lane].begin() + 1, std::move(second));
      Run(id, lane);
      return;
    }
    Retry(id, lane, "");
  }

  // The front segment failed: retry it after the delay, or give up when out of retries.
  void Retry(const std::string& id, size_t lane, std::string through) {
    Shard& sh = shards[id];
    Segment& seg = sh.lanes[lane].front();
    if (sh.lanes.size() > 1) through.clear();  // other lanes may hold earlier records
    ++seg.retries;
    if (settings.max_retries >= 0 && seg.retries > settings.max_retries) {
      Checkpoint(id, through, [self = shared_from_this(), id, lane] {
        self->GiveUp(id, lane, "RetryAttemptsExhausted");
      });
      return;
    }
    ++sh.stats.retries;
    Checkpoint(id, through, [self = shared_from_this(), id, lane] {
      self->After(self->options.retry_delay_ms, [self, id, lane] { self->Run(id, lane); });
    });
  }

  void GiveUp(const std::string& id, size_t lane, std::string_view condition) {
    Shard& sh = shards[id];
    Segment seg = std::move(sh.lanes[lane].front());
    sh.lanes[lane].pop_front();
    ++sh.stats.on_failure;
    std::string through = seg.records.empty() ? "" : seg.records.back().seq;
    THAW_LOG(kWarn, "esm") << settings.uuid << " " << id << ": " << condition << ", "
                           << seg.records.size() << " record(s) through " << through << " skipped";
    if (seg.final_for_window) {
      sh.window_start_ms = 0;
      sh.window_state = json::object();
    }
    auto next = [self = shared_from_this(), id, lane, through](const Status& s) {
      if (self->stopped) return;
      if (!s.ok()) THAW_LOG(kWarn, "esm") << "OnFailure send failed: " << s.ToString();
      self->NextSegment(id, lane, through);
    };
    if (settings.on_failure.empty() || !fail) {
      next(Status::Ok());
      return;
    }
    json record =
        StreamFailureRecord(log.batch_info_name(), settings.function_arn, settings.event_source_arn,
                            id, seg.records, condition, seg.invokes, NowMs());
    fail(settings.on_failure, record.dump(), std::move(next));
  }

  // The lane's front segment is done through `through`: the lane's next segment, or, once every
  // lane of the round is done, the checkpoint and the next round.
  void NextSegment(const std::string& id, size_t lane, std::string through) {
    Shard& sh = shards[id];
    if (sh.lanes[lane].empty()) {
      if (--sh.lanes_left > 0) return;
      RoundDone(id, sh.job_end);
      return;
    }
    if (sh.lanes.size() > 1) through.clear();  // other lanes may hold earlier records
    Checkpoint(id, through, [self = shared_from_this(), id, lane] { self->Run(id, lane); });
  }
};

StreamPoller::StreamPoller(asio::io_context& loop, ShardLog& log, Checkpoints& checkpoints,
                           InvokeFn invoke, FailureFn fail, const Clock& clock, Settings settings,
                           Options options)
    : core_(std::make_shared<Core>(loop, log, checkpoints, std::move(invoke), std::move(fail),
                                   clock, std::move(settings), options)) {}

StreamPoller::~StreamPoller() {
  core_->stopped = true;
  core_->listening.reset();
  core_->poll_timer.reset();
}

void StreamPoller::Start() { core_->Start(); }

void StreamPoller::Update(Settings settings) { core_->settings = std::move(settings); }

std::string StreamPoller::last_result() const { return core_->last_result; }

std::vector<StreamPoller::ShardStats> StreamPoller::Stats() const {
  std::vector<ShardStats> out;
  for (auto& [id, sh] : core_->shards) {
    ShardStats s = sh.stats;
    if (!core_->stopped) s.behind = core_->log.Behind(id, s.checkpoint);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace thaw::esm
