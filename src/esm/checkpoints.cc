#include "esm/checkpoints.h"

#include <boost/asio/post.hpp>

#include "base/log.h"

namespace thaw::esm {

namespace asio = boost::asio;

Status Checkpoints::Load() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("CREATE TABLE IF NOT EXISTS esm_checkpoints (uuid TEXT NOT NULL, shard TEXT NOT "
               "NULL, seq TEXT NOT NULL, tumbling TEXT NOT NULL DEFAULT '', PRIMARY KEY (uuid, "
               "shard))"));
  THAW_ASSIGN_OR_RETURN(auto stmt,
                        db_.Prepare("SELECT uuid, shard, seq, tumbling FROM esm_checkpoints"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    saved_[{stmt.Text(0), stmt.Text(1)}] = {stmt.Text(2), stmt.Text(3)};
  }
  return Status::Ok();
}

std::optional<std::string> Checkpoints::Get(const std::string& uuid,
                                            const std::string& shard) const {
  auto it = saved_.find({uuid, shard});
  if (it == saved_.end()) return std::nullopt;
  return it->second.seq;
}

std::string Checkpoints::Window(const std::string& uuid, const std::string& shard) const {
  auto it = saved_.find({uuid, shard});
  return it == saved_.end() ? "" : it->second.window;
}

bool Checkpoints::Started(const std::string& uuid) const {
  auto it = saved_.lower_bound({uuid, ""});
  return it != saved_.end() && it->first.first == uuid;
}

void Checkpoints::Save(const std::string& uuid, const std::string& shard, const std::string& seq,
                       std::function<void(Status)> done, std::string window) {
  saved_[{uuid, shard}] = {seq, window};
  Enqueue({.forget = false,
           .uuid = uuid,
           .shard = shard,
           .seq = seq,
           .window = std::move(window),
           .done = std::move(done)});
}

void Checkpoints::Forget(const std::string& uuid) {
  for (auto it = saved_.lower_bound({uuid, ""}); it != saved_.end() && it->first.first == uuid;) {
    it = saved_.erase(it);
  }
  Enqueue({.forget = true,
           .uuid = uuid,
           .shard = "",
           .seq = "",
           .window = "",
           .done = [](const Status&) {}});
}

void Checkpoints::Enqueue(Op op) {
  pending_.push_back(std::move(op));
  Flush();
}

Status Checkpoints::Commit(store::Database& db, const std::vector<Op>& ops) {
  THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(db));
  THAW_ASSIGN_OR_RETURN(
      auto save, db.Prepare("INSERT OR REPLACE INTO esm_checkpoints (uuid, shard, seq, tumbling) "
                            "VALUES (?, ?, ?, ?)"));
  THAW_ASSIGN_OR_RETURN(auto forget, db.Prepare("DELETE FROM esm_checkpoints WHERE uuid = ?"));
  for (const Op& op : ops) {
    store::Statement& stmt = op.forget ? forget : save;
    stmt.Reset();
    stmt.Bind(1, op.uuid);
    if (!op.forget) {
      stmt.Bind(2, op.shard);
      stmt.Bind(3, op.seq);
      stmt.Bind(4, op.window);
    }
    THAW_RETURN_IF_ERROR(stmt.Run());
  }
  return tx->Commit();
}

void Checkpoints::Flush() {
  if (committing_ || pending_.empty()) return;
  committing_ = true;
  asio::post(
      control_, [this, alive = std::weak_ptr<int>(alive_), ops = std::move(pending_)]() mutable {
        if (alive.expired()) return;
        Status s = Commit(db_, ops);
        if (!s.ok()) {
          THAW_LOG(kError, "esm") << "storing " << ops.size() << " checkpoint(s): " << s.ToString();
        }
        asio::post(loop_, [this, alive, s, ops = std::move(ops)]() mutable {
          if (alive.expired()) return;
          committing_ = false;
          for (Op& op : ops) op.done(s);
          Flush();
        });
      });
  pending_.clear();
}

}  // namespace thaw::esm
