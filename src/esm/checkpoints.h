// Checkpoints: where each stream mapping's shards resume, durable in state.db beside the
// mappings. A checkpoint is the sequence number of the last record done with (delivered, or
// given up on and sent to OnFailure); reading resumes after it. With it goes the shard's open
// tumbling window (its start and state, as JSON text; "" for none). Loaded at start; saved on the
// control thread, the save's `done` running on the loop once committed. Saves are group
// committed: every save (of any mapping and shard) made while a commit runs goes into the next
// one, one transaction and one fsync for all, in the order made.
// Threads: loop thread, except Load (before the control thread runs).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/status.h"
#include "store/sqlite.h"

namespace thaw::esm {

class Checkpoints {
 public:
  // Every reference must outlive this object.
  Checkpoints(boost::asio::io_context& loop, boost::asio::io_context& control, store::Database& db)
      : loop_(loop), control_(control), db_(db) {}
  // Creates the table and reads it.
  Status Load();
  std::optional<std::string> Get(const std::string& uuid, const std::string& shard) const;
  // Whether the mapping has ever stored a checkpoint (its first start has happened).
  bool Started(const std::string& uuid) const;
  // The open tumbling window saved with the checkpoint ("" for none).
  std::string Window(const std::string& uuid, const std::string& shard) const;
  // Records `seq` (and `window`) for (uuid, shard); `done` on the loop once durable (after
  // every earlier save).
  void Save(const std::string& uuid, const std::string& shard, const std::string& seq,
            std::function<void(Status)> done, std::string window = "");
  // Drops a deleted mapping's checkpoints.
  void Forget(const std::string& uuid);

 private:
  // One save ("" seq with `forget`: drop the mapping's rows).
  struct Op {
    bool forget = false;
    std::string uuid, shard, seq, window;
    std::function<void(Status)> done;
  };
  void Enqueue(Op op);
  // Commits `pending_` in one transaction on the control thread, unless a commit runs.
  void Flush();
  static Status Commit(store::Database& db, const std::vector<Op>& ops);

  boost::asio::io_context& loop_;
  boost::asio::io_context& control_;
  store::Database& db_;
  struct Saved {
    std::string seq;
    std::string window;
  };
  std::map<std::pair<std::string, std::string>, Saved> saved_;
  std::vector<Op> pending_;  // made while a commit runs
  bool committing_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace thaw::esm
