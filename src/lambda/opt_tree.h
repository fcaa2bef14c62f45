// The /opt tree of a function with layers: every layer's extracted tree merged into one
// directory, in order, a later layer's file replacing an earlier one's (Lambda's rule).
//
// Why a merged directory and not overlayfs: it is built once per distinct layer list, on the
// control thread, with hard links (no data is copied), and the sandbox then needs a single
// read-only bind mount, as for /var/task. It works on any file system that holds the state
// directory (overlayfs refuses some lower layers, such as another overlay's upper dir on older
// kernels, and caps the option string at one page), and it lets the control plane list
// /opt/extensions once instead of every environment scanning at start.
//
// Trees live beside the code, as CODE_ROOT/opt-<sha256 of the layers' hashes>/, are built under
// a temporary name (CodeStore::Init removes leftovers) and renamed, and are never modified
// after: functions sharing a layer list share the tree. A tree no configuration names any more
// is removed (ControlService::CollectGarbage). Control thread only (disk work).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace thaw::lambda {

// Lambda's limit on external extensions (MaxAgentsAllowed).
inline constexpr size_t kMaxExtensions = 10;

// The merged tree of `layer_dirs` (extracted layers, first to last) under `code_root`, built
// when missing. `key` names it: the same key must always mean the same layer list.
StatusOr<std::string> EnsureOptTree(const std::string& code_root, const std::string& key,
                                    const std::vector<std::string>& layer_dirs);

// Merges the trees of `sources` into `target` (an existing directory): files and symlinks are
// hard-linked (copied when linking fails), a later source replacing whatever an earlier one
// put at the same path, directories merged. Symlinks are never followed.
Status MergeTrees(const std::vector<std::string>& sources, const std::string& target);

// The executables directly in DIR/extensions (regular files with an x bit, symlinks to them
// included), sorted by name: the external extensions Lambda starts, alphabetically. At most
// kMaxExtensions; InvalidArgument beyond that.
StatusOr<std::vector<std::string>> ListExtensions(const std::string& dir);

}  // namespace thaw::lambda
