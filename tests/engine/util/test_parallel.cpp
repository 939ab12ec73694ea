// The engine's parallel loop: every index once, per-thread state, and the error of the lowest
// failing index whatever the thread count.
#include "../../../engine/src/util/parallel.hpp"

#include <spaceuse/error.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spaceuse;

TEST_CASE("parallel_for: every index once, the same slots for 1 and 4 threads",
          "[util][parallel]") {
    for (const unsigned threads : {1U, 4U}) {
        CAPTURE(threads);
        std::vector<int> calls(10000, 0);
        detail::parallel_for(calls.size(), threads, 64, detail::stateless,
                             [&](detail::Stateless&, std::size_t i) { calls[i] += 1; });
        CHECK(std::count(calls.begin(), calls.end(), 1) == static_cast<long>(calls.size()));
    }
    // No index, no call (and no state made).
    bool called = false;
    detail::parallel_for(
        0, 4, 64,
        [&called] {
        called = true;
        return 0;
        },
        [&](int&, std::size_t) { called = true; });
    CHECK_FALSE(called);
}

TEST_CASE("parallel_for: one state per thread, made on first use", "[util][parallel]") {
    struct State {
        int serial = 0;
        std::set<std::size_t> seen;
    };
    std::atomic<int> made{0};
    std::vector<int> owner(5000, -1);
    detail::parallel_for(
        owner.size(), 4, 16,
        [&made] {
        return State{made++, {}};
        },
        [&](State& s, std::size_t i) { owner[i] = s.serial; });
    CHECK(made.load() >= 1);
    CHECK(made.load() <= 4);
    CHECK(std::count(owner.begin(), owner.end(), -1) == 0);
}

TEST_CASE("parallel_for: the error of the lowest failing index, for 1 and 4 threads",
          "[util][parallel]") {
    // Items fail at 137, 2500, 2501 and every index from 7000 on; the ones above the first
    // failure may or may not run, the error is always the one of index 137.
    auto fails = [](std::size_t i) { return i == 137 || i == 2500 || i == 2501 || i >= 7000; };
    for (const unsigned threads : {1U, 4U}) {
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{64}, std::size_t{4096}}) {
            CAPTURE(threads, chunk);
            std::vector<std::atomic<int>> ran(10000);
            try {
                detail::parallel_for(ran.size(), threads, chunk, detail::stateless,
                                     [&](detail::Stateless&, std::size_t i) {
                    ran[i] += 1;
                    if (fails(i)) {
                        throw InputError("item " + std::to_string(i));
                    }
                });
                FAIL("no error reported");
            } catch (const InputError& e) {
                CHECK(std::string(e.what()).find("item 137") != std::string::npos);
            }
            // Every index below the reported one ran, once.
            for (std::size_t i = 0; i < 137; ++i) {
                REQUIRE(ran[i].load() == 1);
            }
        }
    }
}

TEST_CASE("parallel_for: a failing state maker reports like a failing item", "[util][parallel]") {
    for (const unsigned threads : {1U, 4U}) {
        CAPTURE(threads);
        auto make = []() -> int { throw ConfigError("no state"); };
        CHECK_THROWS_WITH(detail::parallel_for(100, threads, 8, make, [](int&, std::size_t) {}),
                          Catch::Contains("no state"));
    }
}
