#include "output_folder.hpp"

#include <spaceuse/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace spaceuse::detail {

namespace {

namespace fs = std::filesystem;

std::string sibling(const fs::path& target, const std::string& suffix) {
    return (target.parent_path() / ("." + target.filename().string() + ".spaceuse-" + suffix))
        .string();
}

[[noreturn]] void fail(const std::string& what, const std::string& folder) {
    throw OutputError(what).set_source(folder);
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) {
        fail("cannot delete " + path + ": " + ec.message(), path);
    }
}

/// renameat2(2) through the system call (glibc 2.36 of bookworm wraps it, but the flags are
/// all that is needed and the call keeps the code independent of the libc version).
int rename2(const std::string& from, const std::string& to, unsigned flags) {
    return static_cast<int>(
        ::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags));
}

constexpr unsigned kNoReplace = 1U;  // RENAME_NOREPLACE
constexpr unsigned kExchange = 2U;   // RENAME_EXCHANGE

/// Test hook: SPACEUSE_FAULT=<point> kills the process (SIGKILL) at that point of the swap, so
/// the tests reach the moments a random kill almost never hits.
void fault_point(const char* point) {
    const char* want = std::getenv("SPACEUSE_FAULT");
    if (want != nullptr && std::strcmp(want, point) == 0) {
        std::raise(SIGKILL);
    }
}

/// Test hook: SPACEUSE_FAULT_NO_EXCHANGE=1 takes the two-rename swap, as on a file system
/// without RENAME_EXCHANGE.
bool exchange_disabled() {
    const char* v = std::getenv("SPACEUSE_FAULT_NO_EXCHANGE");
    return v != nullptr && std::strcmp(v, "1") == 0;
}

/// Flushes a file or folder to disk (fsync), so a power loss after the swap cannot leave the
/// new results empty while the earlier ones are gone.
void sync_path(const std::string& path, bool folder) {
    const int fd = ::open(path.c_str(), (folder ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ::fsync(fd);
    ::close(fd);
}

/// Flushes every file and folder under `dir`, then `dir`.
void sync_tree(const std::string& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        sync_path(it->path().string(), it->is_directory(ec));
    }
    sync_path(dir, true);
}

}  // namespace

std::vector<std::string> foreign_files(const std::string& dir, const std::string& manifest_name) {
    std::set<std::string> listed;
    bool manifest = false;
    const fs::path root(dir);
    {
        std::ifstream in(root / manifest_name);
        if (in) {
            try {
                const auto m = nlohmann::json::parse(in);
                if (m.is_object() && m.value("tool", std::string()).rfind("spaceuse ", 0) == 0 &&
                    m.contains("outputs") && m["outputs"].is_array()) {
                    manifest = true;
                    listed.insert(manifest_name);
                    for (const auto& o : m["outputs"]) {
                        if (o.is_object() && o.contains("file") && o["file"].is_string()) {
                            const std::string f = o["file"].get<std::string>();
                            listed.insert(f);
                            // A Shapefile is listed by its .shp; its other parts go with it.
                            if (fs::path(f).extension() == ".shp") {
                                for (const char* ext : {".shx", ".dbf", ".prj", ".cpg"}) {
                                    listed.insert(
                                        fs::path(f).replace_extension(ext).generic_string());
                                }
                            }
                        }
                    }
                }
            } catch (const nlohmann::json::exception&) {
                manifest = false;
            }
        }
    }
    std::vector<std::string> foreign;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        // A symbolic link (to a folder or a file) is never spaceuse's.
        if (!it->is_symlink() && it->is_directory()) {
            continue;
        }
        const std::string rel = fs::relative(it->path(), root).generic_string();
        if (it->is_symlink() || !manifest || listed.count(rel) == 0) {
            foreign.push_back(rel);
        }
    }
    if (ec) {
        fail("cannot list the output folder: " + ec.message(), dir);
    }
    std::sort(foreign.begin(), foreign.end());
    return foreign;
}

OutputFolder::OutputFolder(const std::string& target, bool overwrite, std::string manifest)
    : m_manifest(std::move(manifest)) {
    std::error_code ec;
    // Symbolic links resolved: the folder swapped is the real one, locked under one name.
    fs::path t = fs::weakly_canonical(fs::absolute(fs::path(target)), ec);
    if (ec) {
        fail("cannot resolve the output folder: " + ec.message(), target);
    }
    if (!t.has_filename()) {
        t = t.parent_path();
    }
    m_target = t.string();
    m_staging = sibling(t, "staging");
    m_old = sibling(t, "old");
    m_lock_path = sibling(t, "lock");
    const fs::path cwd = fs::current_path(ec);
    if (!ec) {
        const auto rel = fs::weakly_canonical(cwd, ec).lexically_relative(t);
        if (!ec && !rel.empty() && *rel.begin() != "..") {
            fail("the output folder holds the current directory; a run replaces its whole "
                 "output folder, so give a folder beside or below it",
                 m_target);
        }
    }
    fs::create_directories(t.parent_path(), ec);
    if (ec) {
        fail("cannot create the parent folder: " + ec.message(), m_target);
    }
    struct stat target_st {};
    struct stat parent_st {};
    if (::stat(m_target.c_str(), &target_st) == 0 &&
        ::stat(t.parent_path().c_str(), &parent_st) == 0 && target_st.st_dev != parent_st.st_dev) {
        fail("the output folder is a mount point; a run replaces its whole output folder by a "
             "renamed one, so give a folder inside it",
             m_target);
    }
    lock();
    try {
        try {
            recover();
            check_owned(overwrite);
        } catch (const fs::filesystem_error& e) {
            fail(e.what(), m_target);
        }
        fs::create_directory(m_staging, ec);
        if (ec) {
            fail("cannot create the staging folder " + m_staging + ": " + ec.message(), m_target);
        }
        // The new folder keeps the permissions of the one it replaces.
        if (fs::exists(m_target)) {
            fs::permissions(m_staging, fs::status(m_target).permissions(), ec);
        }
    } catch (...) {
        ::unlink(m_lock_path.c_str());
        ::close(m_lock_fd);
        throw;
    }
}

OutputFolder::~OutputFolder() {
    if (!m_committed) {
        std::error_code ec;
        fs::remove_all(m_staging, ec);
    }
    // Unlinked while still locked, so a run waiting on this file sees it gone (lock() checks).
    ::unlink(m_lock_path.c_str());
    ::close(m_lock_fd);
}

void OutputFolder::lock() {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(m_lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            const int err = errno;
            fail("cannot create the lock file " + m_lock_path + ": " + std::strerror(err),
                 m_target);
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            std::string pid;
            char buf[32] = {};
            if (::pread(fd, buf, sizeof buf - 1, 0) > 0) {
                pid = buf;
                pid.erase(pid.find_last_not_of(" \n") + 1);
            }
            ::close(fd);
            if (err == EWOULDBLOCK) {
                fail("another spaceuse run" +
                         (pid.empty() ? std::string() : " (process " + pid + ")") +
                         " is writing this output folder; wait for it to finish or choose "
                         "another folder",
                     m_target);
            }
            fail("cannot lock " + m_lock_path + ": " + std::strerror(err), m_target);
        }
        // The file may have been unlinked by the run that held it just before: lock the file
        // that is at the path now.
        struct stat held {};
        struct stat now {};
        if (::fstat(fd, &held) == 0 && ::stat(m_lock_path.c_str(), &now) == 0 &&
            held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
            const std::string pid = std::to_string(::getpid()) + "\n";
            if (::ftruncate(fd, 0) != 0 ||
                ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
                const int err = errno;
                ::close(fd);
                fail("cannot write the lock file " + m_lock_path + ": " + std::strerror(err),
                     m_target);
            }
            m_lock_fd = fd;
            return;
        }
        ::close(fd);
    }
    fail("cannot lock " + m_lock_path + " (it keeps being replaced)", m_target);
}

void OutputFolder::recover() {
    if (fs::exists(m_old)) {
        if (fs::exists(m_target)) {
            remove_tree(m_old);  // the rest of a finished two-rename swap
        } else {
            std::error_code ec;
            fs::rename(m_old, m_target, ec);  // the swap stopped between its two renames
            if (ec) {
                fail("cannot restore the earlier results from " + m_old + ": " + ec.message(),
                     m_target);
            }
        }
    }
    if (fs::exists(m_staging)) {
        remove_tree(m_staging);  // the rest of an interrupted run
    }
}

void OutputFolder::check_owned(bool overwrite) const {
    if (!fs::exists(m_target)) {
        return;
    }
    if (!fs::is_directory(m_target)) {
        fail("the output path exists and is not a folder", m_target);
    }
    if (fs::is_empty(m_target)) {
        return;
    }
    const auto foreign = foreign_files(m_target, m_manifest);
    if (!foreign.empty()) {
        std::string list;
        for (std::size_t i = 0; i < foreign.size() && i < 3; ++i) {
            list += (i == 0 ? "" : ", ") + foreign[i];
        }
        if (foreign.size() > 3) {
            list += " and " + std::to_string(foreign.size() - 3) + " more";
        }
        fail("the output folder holds files spaceuse did not write (" + list +
                 "); a run replaces its whole output folder, so choose a new or empty folder",
             m_target);
    }
    if (!overwrite) {
        fail("the output folder holds earlier results and overwrite is off", m_target);
    }
}

void OutputFolder::commit() {
    sync_tree(m_staging);
    fault_point("before-swap");
    const std::string parent = fs::path(m_target).parent_path().string();
    if (fs::exists(m_target)) {
        int err = EINVAL;
        if (!exchange_disabled()) {
            err = rename2(m_staging, m_target, kExchange) == 0 ? 0 : errno;
        }
        if (err == 0) {
            m_committed = true;
            sync_path(parent, true);
            fault_point("after-swap");
            std::error_code ignored;  // now the earlier results; what is left goes next run
            fs::remove_all(m_staging, ignored);
            return;
        }
        if (err != EINVAL && err != ENOSYS) {
            fail("cannot put the new results in place: " + std::string(std::strerror(err)),
                 m_target);
        }
        // No RENAME_EXCHANGE here: two renames, recovered by the next run (see the header).
        std::error_code ec;
        fs::rename(m_target, m_old, ec);
        if (ec) {
            fail("cannot move the earlier results aside: " + ec.message(), m_target);
        }
        fault_point("between-renames");
        fs::rename(m_staging, m_target, ec);
        if (ec) {
            std::error_code back;
            fs::rename(m_old, m_target, back);
            fail("cannot put the new results in place: " + ec.message(), m_target);
        }
        m_committed = true;
        sync_path(parent, true);
        fault_point("after-swap");
        std::error_code ignored;  // what is left is deleted by the next run
        fs::remove_all(m_old, ignored);
        return;
    }
    if (rename2(m_staging, m_target, kNoReplace) != 0) {
        const int err = errno;
        if (err != EINVAL && err != ENOSYS) {
            fail("cannot put the new results in place: " + std::string(std::strerror(err)),
                 m_target);
        }
        std::error_code ec;
        fs::rename(m_staging, m_target, ec);
        if (ec) {
            fail("cannot put the new results in place: " + ec.message(), m_target);
        }
    }
    m_committed = true;
    sync_path(parent, true);
}

}  // namespace spaceuse::detail
