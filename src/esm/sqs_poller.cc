#include "esm/sqs_poller.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"
#include "esm/sqs_event.h"

namespace thaw::esm {

namespace asio = boost::asio;

struct SqsPoller::Core : std::enable_shared_from_this<SqsPoller::Core> {
  asio::io_context& loop;
  sqs::QueueStore& store;
  std::string queue_arn;
  InvokeFn invoke;
  Settings settings;
  Options options;
  Stats stats;
  int64_t workers = 0;
  bool stopped = false;

  Core(asio::io_context& l, sqs::QueueStore& s, std::string arn, InvokeFn fn, Settings set,
       Options opt)
      : loop(l),
        store(s),
        queue_arn(std::move(arn)),
        invoke(std::move(fn)),
        settings(std::move(set)),
        options(opt) {}

  // One worker's batch in the making.
  struct Batch {
    std::vector<sqs::Delivered> messages;
    int64_t window_end_ms = 0;  // monotonic; set when the first message arrives
  };

  int64_t NowMs() const { return store.clock().MonotonicNanos() / 1000000; }

  void StartWorker() {
    ++workers;
    Gather(std::make_shared<Batch>());
  }

  void After(int64_t ms, std::function<void()> then) {
    auto timer = std::make_shared<asio::steady_timer>(loop, std::chrono::milliseconds(ms));
    timer->async_wait(
        [timer, then = std::move(then)](const boost::system::error_code&) { then(); });
  }

  // Puts received messages back: visible again at once.
  void Release(const std::vector<sqs::Delivered>& batch) {
    sqs::Queue* queue = store.FindArn(queue_arn);
    if (!queue) return;
    for (const auto& d : batch) store.ChangeVisibility(*queue, d.receipt_handle, 0);
  }

  void Retire() { --workers; }

  void Gather(std::shared_ptr<Batch> batch) {
    if (stopped || workers > settings.max_concurrency) {
      Release(batch->messages);
      Retire();
      return;
    }
    sqs::Queue* queue = store.FindArn(queue_arn);
    if (!queue) {
      // Deleted under the mapping; Lambda keeps trying (the mapping shows the problem).
      After(options.backoff_ms, [self = shared_from_this(), batch] { self->Gather(batch); });
      return;
    }
    const int64_t want = settings.batch_size - static_cast<int64_t>(batch->messages.size());
    int64_t wait_s = options.long_poll_s;
    if (!batch->messages.empty()) {
      const int64_t left_ms = batch->window_end_ms - NowMs();
      if (want <= 0 || left_ms <= 0) {
        Dispatch(std::move(batch));
        return;
      }
      if (left_ms < 1000) {
        // Receive waits whole seconds: sleep out the rest, then take what is there.
        batch->window_end_ms = NowMs();
        After(left_ms, [self = shared_from_this(), batch] { self->Receive(batch, 0); });
        return;
      }
      wait_s = std::min<int64_t>(wait_s, left_ms / 1000);
    }
    Receive(std::move(batch), wait_s);
  }

  void Receive(std::shared_ptr<Batch> batch, int64_t wait_s) {
    sqs::Queue* queue = store.FindArn(queue_arn);
    if (stopped || !queue) {
      Gather(std::move(batch));
      return;
    }
    const int64_t want = std::clamp<int64_t>(
        settings.batch_size - static_cast<int64_t>(batch->messages.size()), 1, 10);
    store.Receive(*queue,
                  {.max_messages = static_cast<int>(want),
                   .visibility_timeout_s = std::nullopt,
                   .wait_s = static_cast<int>(wait_s),
                   .durable = false},
                  [self = shared_from_this(), batch](Status s, std::vector<sqs::Delivered> got) {
                    self->Received(batch, s, std::move(got));
                  });
  }

  void Received(std::shared_ptr<Batch> batch, const Status& s, std::vector<sqs::Delivered> got) {
    if (stopped) {
      Release(got);
      Gather(std::move(batch));  // releases the rest and retires
      return;
    }
    if (!s.ok()) {
      THAW_LOG(kWarn, "esm") << queue_arn << ": receive failed: " << s.ToString();
      After(options.backoff_ms, [self = shared_from_this(), batch] { self->Gather(batch); });
      return;
    }
    sqs::Queue* queue = store.FindArn(queue_arn);
    for (auto& d : got) {
      if (settings.filter && !settings.filter(d)) {
        if (queue) store.DeleteMessage(*queue, d.receipt_handle);
        continue;
      }
      // A message whose visibility ended while the window was open comes again: keep the
      // newer receive (its receipt handle is the valid one).
      auto same =
          std::find_if(batch->messages.begin(), batch->messages.end(),
                       [&](const sqs::Delivered& b) { return b.message.id == d.message.id; });
      if (same != batch->messages.end()) {
        *same = std::move(d);
        continue;
      }
      batch->messages.push_back(std::move(d));
    }
    if (batch->messages.empty()) {
      // Nothing came in a whole long poll: this worker is not needed, unless it is the last.
      if (got.empty() && workers > 1) {
        Retire();
        return;
      }
      Gather(std::move(batch));
      return;
    }
    if (batch->window_end_ms == 0) {
      batch->window_end_ms = NowMs() + settings.batching_window_ms;
    }
    if (static_cast<int64_t>(batch->messages.size()) >= settings.batch_size ||
        settings.batching_window_ms == 0) {
      Dispatch(std::move(batch));
      return;
    }
    Gather(std::move(batch));
  }

  void Dispatch(std::shared_ptr<Batch> batch) {
    sqs::Queue* queue = store.FindArn(queue_arn);
    const bool fifo = queue && queue->fifo;
    const bool full = static_cast<int64_t>(batch->messages.size()) >= settings.batch_size;
    if (full && workers < settings.max_concurrency) StartWorker();  // the backlog grows
    std::string trace;
    for (const auto& d : batch->messages) {
      if (!d.message.trace_header.empty()) {
        trace = d.message.trace_header;
        break;
      }
    }
    ++stats.batches;
    stats.messages += static_cast<int64_t>(batch->messages.size());
    InvokeMeta meta;
    meta.trace_header = std::move(trace);
    meta.source.mapping = settings.uuid;
    meta.source.source_arn = queue_arn;
    meta.source.batch_size = static_cast<int64_t>(batch->messages.size());
    meta.source.attempt = 1;  // a failed batch comes back as a new receive
    meta.source.invoked_ms = store.clock().RealtimeMillis();
    invoke(settings.function_arn, RenderSqsEvent(batch->messages, queue_arn, fifo), std::move(meta),
           [self = shared_from_this(), batch](InvokeOutcome outcome) {
             self->Finish(batch, std::move(outcome));
           });
  }

  void Finish(std::shared_ptr<Batch> batch, InvokeOutcome outcome) {
    std::set<std::string> failed;
    bool all_failed = outcome.kind != InvokeOutcome::Kind::kOk;
    if (!all_failed && settings.report_item_failures) {
      std::set<std::string> ids;
      for (const auto& d : batch->messages) ids.insert(d.message.id);
      auto parsed = ParseBatchFailures(outcome.body, ids);
      if (parsed) {
        failed = std::move(*parsed);
      } else {
        all_failed = true;
      }
    }
    sqs::Queue* queue = store.FindArn(queue_arn);
    if (all_failed) {
      ++stats.failed_batches;
    } else if (queue) {
      for (const auto& d : batch->messages) {
        if (failed.contains(d.message.id)) continue;
        store.DeleteMessage(*queue, d.receipt_handle);
        ++stats.deleted;
      }
    }
    auto next = std::make_shared<Batch>();
    if (outcome.kind == InvokeOutcome::Kind::kNotInvoked) {
      // Throttled: fewer workers, and a pause before this one reads again.
      if (workers > 1) {
        Retire();
        return;
      }
      After(options.backoff_ms, [self = shared_from_this(), next] { self->Gather(next); });
      return;
    }
    Gather(std::move(next));
  }
};

SqsPoller::Options SqsPoller::Options::Scaled(double delay_scale) {
  Options o;
  o.backoff_ms =
      std::max<int64_t>(1, std::llround(static_cast<double>(o.backoff_ms) * delay_scale));
  return o;
}

SqsPoller::SqsPoller(asio::io_context& loop, sqs::QueueStore& store, std::string queue_arn,
                     InvokeFn invoke, Settings settings, Options options)
    : core_(std::make_shared<Core>(loop, store, std::move(queue_arn), std::move(invoke),
                                   std::move(settings), options)) {}

SqsPoller::~SqsPoller() { core_->stopped = true; }

void SqsPoller::Start() {
  if (core_->workers == 0) core_->StartWorker();
}

void SqsPoller::Update(Settings settings) { core_->settings = std::move(settings); }

int64_t SqsPoller::workers() const { return core_->workers; }

const SqsPoller::Stats& SqsPoller::stats() const { return core_->stats; }

}  // namespace thaw::esm
