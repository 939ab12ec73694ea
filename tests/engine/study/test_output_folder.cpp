// All-or-nothing output folders: a failed, refused, concurrent or killed run never leaves a
// folder that mixes the files of two runs.

#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <cstdlib>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

using namespace spaceuse;
namespace fs = std::filesystem;

namespace {

std::string sha256_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        char b[3];
        std::snprintf(b, sizeof b, "%02x", digest[i]);
        hex += b;
    }
    return hex;
}

/// Every file under `dir` (relative path → SHA-256).
std::map<std::string, std::string> contents(const fs::path& dir) {
    std::map<std::string, std::string> out;
    if (!fs::exists(dir)) {
        return out;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            out[fs::relative(e.path(), dir).generic_string()] = sha256_of(e.path());
        }
    }
    return out;
}

/// Names in `dir` (not recursive), sorted.
std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.insert(e.path().filename().string());
    }
    return out;
}

/// The bundled sample's occupancy, writing GeoJSON and the snapshot into `out`, without
/// documents.
Study sample(const std::string& out) {
    Study study = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
    study.metrics.erase(std::remove_if(study.metrics.begin(), study.metrics.end(),
                                       [](const MetricRun& m) { return m.name != "occupancy"; }),
                        study.metrics.end());
    study.output_dir = out;
    study.write.overwrite = true;
    study.documents = {};
    study.exports.formats = {ExportFormat::geojson};
    return study;
}

std::string failing_module() {
    return std::string(SPACEUSE_TEST_MODULES_DIR) + "/spaceuse_metric_test_failing.so";
}

}  // namespace

TEST_CASE("a metric that throws in the compute stage leaves the earlier results byte for byte",
          "[study][output]") {
    const std::string dir = test::temp_dir("output_failure");
    const std::string out = dir + "/results";
    run_study(sample(out));
    const auto before = contents(out);
    REQUIRE(before.count("run.json") == 1);
    REQUIRE(before.count("spaceuse.gpkg") == 1);
    REQUIRE(before.count("parcels.geojson") == 1);

    Study failing = sample(out);
    failing.exports.formats = {ExportFormat::geojson, ExportFormat::flatgeobuf};
    failing.plugins.push_back(failing_module());
    failing.metric("fails_in_compute");
    CHECK_THROWS_WITH(run_study(failing), Catch::Contains("fails_in_compute: boom"));
    CHECK(contents(out) == before);
    // Neither the staging folder nor the lock is left beside it.
    CHECK(names_in(dir) == std::set<std::string>{"results"});
}

TEST_CASE("an output folder holding files spaceuse did not write is refused up front",
          "[study][output]") {
    const std::string dir = test::temp_dir("output_foreign");
    const std::string out = dir + "/results";
    fs::create_directories(out + "/notes");
    std::ofstream(out + "/notes/minutes.txt") << "committee minutes\n";
    std::ofstream(out + "/plan.docx") << "x";
    Study study = sample(out);
    CHECK_THROWS_WITH(run_study(study),
                      Catch::Contains("holds files spaceuse did not write (notes/minutes.txt, "
                                      "plan.docx)") &&
                          Catch::Contains(fs::absolute(out).lexically_normal().string()));
    CHECK(contents(out).size() == 2);
    CHECK(names_in(dir) == std::set<std::string>{"results"});

    // Earlier spaceuse results plus one foreign file: refused too, the results kept.
    const std::string out2 = dir + "/results2";
    run_study(sample(out2));
    std::ofstream(out2 + "/extra.png") << "x";
    const auto before = contents(out2);
    CHECK_THROWS_WITH(run_study(sample(out2)), Catch::Contains("(extra.png)"));
    CHECK(contents(out2) == before);

    // An empty folder is fine; earlier results need overwrite.
    const std::string out3 = dir + "/results3";
    fs::create_directories(out3);
    Study fresh = sample(out3);
    fresh.write.overwrite = false;
    CHECK_NOTHROW(run_study(fresh));
    CHECK_THROWS_WITH(run_study(fresh),
                      Catch::Contains("holds earlier results and overwrite is off"));
}

TEST_CASE("a second run into a folder another run is writing stops with the lock message",
          "[study][output]") {
    const std::string dir = test::temp_dir("output_lock");
    const std::string out = dir + "/results";
    // Another process's lock, as a run holds it: flock on the lock file, its pid inside.
    const std::string lock = dir + "/.results.spaceuse-lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    REQUIRE(::write(fd, "4242\n", 5) == 5);
    CHECK_THROWS_WITH(run_study(sample(out)),
                      Catch::Contains("another spaceuse run (process 4242) is writing this "
                                      "output folder"));
    CHECK_FALSE(fs::exists(out));
    ::close(fd);  // the other run ends
    CHECK_NOTHROW(run_study(sample(out)));
    CHECK(names_in(dir) == std::set<std::string>{"results"});
}

TEST_CASE("the next run recovers an interrupted swap and removes what a killed run left",
          "[study][output]") {
    const std::string dir = test::temp_dir("output_recover");
    const std::string out = dir + "/results";
    run_study(sample(out));
    const auto earlier = contents(out);

    // Killed between the two renames of the fallback swap: the earlier results are aside and
    // the output folder is missing. The next run (here one that fails) puts them back.
    fs::rename(out, dir + "/.results.spaceuse-old");
    Study failing = sample(out);
    failing.plugins.push_back(failing_module());
    failing.metric("fails_in_compute");
    CHECK_THROWS(run_study(failing));
    CHECK(contents(out) == earlier);
    CHECK(names_in(dir) == std::set<std::string>{"results"});

    // Killed after the swap: an old folder beside the output is deleted; a killed run's
    // staging folder and stale lock file too.
    fs::create_directories(dir + "/.results.spaceuse-old/x");
    fs::create_directories(dir + "/.results.spaceuse-staging");
    std::ofstream(dir + "/.results.spaceuse-staging/parcels.geojson") << "{";
    std::ofstream(dir + "/.results.spaceuse-lock") << "99999\n";
    run_study(sample(out));
    CHECK(contents(out) == earlier);
    CHECK(names_in(dir) == std::set<std::string>{"results"});
}

TEST_CASE("progress runs once from 0 to 100 % across every stage, never backwards",
          "[study][progress]") {
    const std::string dir = test::temp_dir("output_progress");
    Study study = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
    study.output_dir = dir + "/results";
    std::vector<std::pair<double, std::string>> seen;
    run_study(study, [&seen](double f, std::string_view m) {
        seen.emplace_back(f, std::string(m));
        return true;
    });
    REQUIRE(seen.size() > 10);
    CHECK(seen.front().first == 0.0);
    CHECK(seen.back().first == 1.0);
    std::set<std::string> messages;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        messages.insert(seen[i].second);
        if (i > 0) {
            INFO(seen[i - 1].second << " " << seen[i - 1].first << " → " << seen[i].second << " "
                                    << seen[i].first);
            CHECK(seen[i].first >= seen[i - 1].first);
        }
    }
    // Export, snapshot and documents are part of it.
    for (const char* m :
         {"exporting layers", "writing the snapshot", "drawing map", "drawing committee report",
          "drawing HTML viewer", "putting the results in place", "done"}) {
        INFO(m);
        CHECK(messages.count(m) == 1);
    }
}

TEST_CASE("kill -9 at any moment of a run leaves the earlier or the new results, never a mix",
          "[study][output][kill]") {
    const std::string dir = test::temp_dir("output_kill");
    const std::string out = dir + "/results";
    const std::string project = std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml";
    // Two configurations that write different files: with and without style sidecars.
    auto args = [&](bool styles, const std::string& target) {
        std::vector<std::string> a = {SPACEUSE_CLI,  "--quiet", "run", project,
                                      "--overwrite", "-o",      target};
        if (!styles) {
            a.emplace_back("--no-styles");
        }
        return a;
    };
    auto start = [](const std::vector<std::string>& a) {
        std::vector<char*> argv;
        for (const auto& s : a) {
            argv.push_back(const_cast<char*>(s.c_str()));
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid = 0;
        const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
        return pid;
    };
    auto wait_for = [](pid_t pid) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return status;
    };
    // The two complete results, and how long a run takes.
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(wait_for(start(args(true, dir + "/ref-styles"))) == 0);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                               .count();
    REQUIRE(wait_for(start(args(false, dir + "/ref-plain"))) == 0);
    const auto with_styles = contents(dir + "/ref-styles");
    const auto plain = contents(dir + "/ref-plain");
    REQUIRE(with_styles != plain);
    fs::remove_all(dir + "/ref-styles");
    fs::remove_all(dir + "/ref-plain");

    REQUIRE(wait_for(start(args(false, out))) == 0);
    bool styled = false;  // what the folder holds now
    // SPACEUSE_KILL_TRIALS=100 for the long version (README, Tests); CI runs a few.
#if defined(__SANITIZE_ADDRESS__)
    // Under the sanitizers a run takes ten times as long: fewer moments.
    int trials = 4;
#else
    int trials = 8;
#endif
    if (const char* n = std::getenv("SPACEUSE_KILL_TRIALS"); n != nullptr && std::atoi(n) > 0) {
        trials = std::atoi(n);
    }
    // Random moments over a whole run (and a little past it), the same on every run.
    std::mt19937 random(20261202);
    std::uniform_real_distribution<double> moment(0.0, 1.1 * seconds);
    int kept_earlier = 0;
    int landed = 0;
    for (int i = 0; i < trials; ++i) {
        // A run that would change the folder, killed at a random moment.
        const pid_t pid = start(args(!styled, out));
        const double at = moment(random);
        std::this_thread::sleep_for(std::chrono::duration<double>(at));
        ::kill(pid, SIGKILL);
        wait_for(pid);
        const auto now = contents(out);
        INFO("trial " << i << ", killed after " << at << " s");
        const bool is_styled = now == with_styles;
        const bool is_plain = now == plain;
        CHECK((is_styled || is_plain));
        if (is_styled || is_plain) {
            (is_styled == styled ? kept_earlier : landed) += 1;
        }
        styled = is_styled;
    }
    std::printf("kill -9: %d trials over %.2f s runs: %d left the earlier results, %d the new "
                "ones, %d anything else\n",
                trials, seconds, kept_earlier, landed, trials - kept_earlier - landed);
    // A run after the kills completes and leaves nothing beside the folder.
    REQUIRE(wait_for(start(args(!styled, out))) == 0);
    CHECK(contents(out) == (styled ? plain : with_styles));
    CHECK(names_in(dir) == std::set<std::string>{"results"});

    // The moments a random kill almost never hits, reached on purpose: just before the swap,
    // just after it, and between the two renames of the fallback swap (as on a file system
    // without RENAME_EXCHANGE). Each leaves the earlier or the new results, and the next run
    // (here a complete one) cleans up.
    struct Fault {
        const char* point;
        bool fallback;
        bool lands;  // whether the new results are in place after the kill
    };
    for (const Fault f : {Fault{"before-swap", false, false}, Fault{"after-swap", false, true},
                          Fault{"before-swap", true, false}, Fault{"between-renames", true, false},
                          Fault{"after-swap", true, true}}) {
        INFO("fault " << f.point << (f.fallback ? " (two renames)" : " (exchange)"));
        const bool was = contents(out) == with_styles;
        ::setenv("SPACEUSE_FAULT", f.point, 1);
        if (f.fallback) {
            ::setenv("SPACEUSE_FAULT_NO_EXCHANGE", "1", 1);
        }
        const int status = wait_for(start(args(!was, out)));
        ::unsetenv("SPACEUSE_FAULT");
        ::unsetenv("SPACEUSE_FAULT_NO_EXCHANGE");
        CHECK(WIFSIGNALED(status));
        const auto now = contents(out);
        if (f.lands) {
            CHECK(now == (was ? plain : with_styles));
        } else if (std::string(f.point) == "between-renames") {
            CHECK(now.empty());  // the output folder is aside until the next run
            CHECK(fs::exists(dir + "/.results.spaceuse-old"));
        } else {
            CHECK(now == (was ? with_styles : plain));
        }
        // The next run recovers, then writes its results.
        REQUIRE(wait_for(start(args(was, out))) == 0);
        CHECK(contents(out) == (was ? with_styles : plain));
        CHECK(names_in(dir) == std::set<std::string>{"results"});
    }
}
