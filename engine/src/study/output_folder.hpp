#pragma once

// The output folder of a run, written all or nothing.
//
// A run writes into a staging folder beside the target (`.<name>.spaceuse-staging`) and, once
// every file is complete, exchanges it with the target in one atomic step (Linux renameat2 with
// RENAME_EXCHANGE), then deletes the staging name, which then holds the earlier results. A
// first run renames the staging folder into place (RENAME_NOREPLACE).
//
// On a file system without RENAME_EXCHANGE the swap is two renames: target → `.<name>
// .spaceuse-old`, staging → target, then the old folder is deleted. Recovery, done by the next
// run before it writes anything (under the lock): an `-old` folder with no target beside it
// means the swap stopped between the two renames, and it is renamed back (the earlier results
// return); an `-old` folder beside a target is the rest of a finished swap and is deleted; a
// staging folder is always the rest of an interrupted run and is deleted. So a failure or a
// kill at any moment leaves either the earlier complete results or the new complete ones.
//
// One run at a time writes a folder: `.<name>.spaceuse-lock` beside it holds an flock(2) lock
// (released by the kernel when the process dies, so a killed run never blocks the next) and the
// writer's process id for the message a second run prints.
//
// The folder belongs to spaceuse: an existing target must be empty or hold a run manifest
// (run.json) written by spaceuse and only files it lists (a symbolic link never counts);
// anything else is refused up front, as are a folder holding the current directory and a mount
// point (it cannot be renamed). Symbolic links in the target's path are resolved first. The
// files are flushed to disk (fsync) before the swap and the parent folder after it; the new
// folder takes the permissions of the one it replaces.
//
// Test hooks (environment): SPACEUSE_FAULT=before-swap|between-renames|after-swap kills the
// process at that point; SPACEUSE_FAULT_NO_EXCHANGE=1 takes the two-rename swap.

#include <string>
#include <vector>

namespace spaceuse::detail {

class OutputFolder {
public:
    /// Locks `target`, recovers an interrupted swap, checks the folder is spaceuse's (and that
    /// earlier results may be replaced: `overwrite`), and creates an empty staging folder.
    /// @throws OutputError naming the folder: locked by another run, foreign files, earlier
    ///         results without overwrite, or a file system error.
    /// `manifest`: the file (in the folder) whose "outputs" list the files spaceuse wrote.
    OutputFolder(const std::string& target, bool overwrite, std::string manifest = "run.json");
    /// Without commit(): deletes the staging folder (the target is untouched) and unlocks.
    ~OutputFolder();
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;

    /// Folder the run writes into.
    const std::string& staging() const noexcept { return m_staging; }
    /// The output folder.
    const std::string& target() const noexcept { return m_target; }
    /// Puts the staging folder in place of the target (see above) and deletes the earlier
    /// results. @throws OutputError when the swap fails (the target then is unchanged).
    void commit();

private:
    void lock();
    void recover();
    void check_owned(bool overwrite) const;

    std::string m_target;
    std::string m_staging;
    std::string m_old;
    std::string m_lock_path;
    std::string m_manifest;
    int m_lock_fd = -1;
    bool m_committed = false;
};

/// Files under `dir` (relative, generic separators, sorted) that the manifest `dir/<manifest>`
/// (a run's run.json, a tiled viewer's viewer.json) does not list, or every file when there is
/// no spaceuse manifest.
std::vector<std::string> foreign_files(const std::string& dir,
                                       const std::string& manifest = "run.json");

}  // namespace spaceuse::detail
