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
  Write("INSERT OR REPLACE INTO esm_checkpoints (uuid, shard, seq, tumbling) VALUES (?, ?, ?, ?)",
        {uuid, shard, seq, std::move(window)}, std::move(done));
}

void Checkpoints::Forget(const std::string& uuid) {
  for (auto it = saved_.lower_bound({uuid, ""}); it != saved_.end() && it->first.first == uuid;) {
    it = saved_.erase(it);
  }
  Write("DELETE FROM esm_checkpoints WHERE uuid = ?", {uuid}, [](const Status&) {});
}

void Checkpoints::Write(std::string sql, std::vector<std::string> args,
                        std::function<void(Status)> done) {
  asio::post(control_, [this, alive = std::weak_ptr<int>(alive_), sql = std::move(sql),
                        args = std::move(args), done = std::move(done)]() mutable {
    if (alive.expired()) return;
    Status s = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto stmt, db_.Prepare(sql));
      for (size_t i = 0; i < args.size(); ++i) stmt.Bind(static_cast<int>(i + 1), args[i]);
      return stmt.Run();
    }();
    if (!s.ok())
      THAW_LOG(kError, "esm") << "storing a checkpoint of " << args[0] << ": " << s.ToString();
    asio::post(loop_, [alive, s, done = std::move(done)] {
      if (!alive.expired()) done(s);
    });
  });
}

}  // namespace thaw::esm
