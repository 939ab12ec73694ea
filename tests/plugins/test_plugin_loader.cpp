#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

std::string test_module(const std::string& name) {
    return std::string(SPACEUSE_TEST_MODULES_DIR) + "/spaceuse_metric_test_" + name + ".so";
}

std::string load_error(const std::string& path) {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    try {
        load_plugin(path, registry);
    } catch (const PluginError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("plugin loader: real modules of the build tree", "[plugins][loader]") {
    const std::string dir = SPACEUSE_TEST_MODULE_DIR;
    if (dir.empty()) {
        WARN("plugins are compiled into the engine (SPACEUSE_SHARED_PLUGINS=OFF): no modules");
        return;
    }
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const std::string path = dir + "/spaceuse_metric_frontage.so";
    const auto added = load_plugin(path, registry);
    REQUIRE(added == std::vector<std::string>{"frontage"});
    const MetricInfo* info = registry.find("frontage");
    REQUIRE(info != nullptr);
    CHECK(info->origin == std::filesystem::canonical(path).string());
    CHECK(info->options.size() == 6);
    // Loading it again is harmless and adds nothing.
    CHECK(load_plugin(path, registry).empty());
    CHECK(registry.all().size() == 6);

    // The module's metric runs on a model built by the host.
    const auto model = std::make_shared<const Model>();
    const MetricOptions options = parse_options(*info, {}, "test");
    const MetricInput input(model, options, 1, {});
    // An engine error thrown in the module is caught by type in the host.
    CHECK_THROWS_AS(info->factory()->compute(input), ConfigError);
    CHECK_THROWS_WITH(info->factory()->compute(input),
                      Catch::Contains("needs the layers 'parcels' and 'roads'"));

    // The install folder of a build tree is where the modules are.
    CHECK(std::filesystem::equivalent(installed_plugin_dir(), dir));
    const auto found = find_plugins({dir});
    CHECK(std::find(found.begin(), found.end(), dir + "/spaceuse_metric_constraints.so") !=
          found.end());
}

TEST_CASE("plugin loader: clear errors, no exception across the C entry point",
          "[plugins][loader]") {
    const std::string bad = std::filesystem::canonical(test_module("badversion")).string();
    const std::string v = std::to_string(SPACEUSE_PLUGIN_API_VERSION);
    CHECK(load_error(bad) == bad +
                                 ": plugin built for plugin API version 999, but this spaceuse "
                                 "has plugin API version " +
                                 v + "; rebuild the plugin against this spaceuse's headers");
    CHECK_THAT(load_error(test_module("throwing")),
               Catch::Contains("spaceuse_metric_test_throwing.so: plugin registration failed: "
                               "boom: cannot register"));
    CHECK_THAT(load_error(test_module("clash")),
               Catch::Contains("metric 'occupancy' is already registered by built-in"));
    CHECK_THAT(load_error(test_module("noentry")),
               Catch::Contains("not a spaceuse metric plugin: it exports no "
                               "'spaceuse_plugin_register' entry point"));
    CHECK(load_error("/nonexistent/spaceuse_metric_x.so") ==
          "/nonexistent/spaceuse_metric_x.so: plugin not found");
}

TEST_CASE("plugin loader: search folders never include the current directory",
          "[plugins][loader]") {
    const std::string a = temp_dir("plugin_dirs_a");
    const std::string b = temp_dir("plugin_dirs_b");
    for (const auto& f :
         {a + "/spaceuse_metric_one.so", a + "/other.so", b + "/spaceuse_metric_one.so",
          b + "/spaceuse_metric_two.so", b + "/spaceuse_metric_.so"}) {
        std::ofstream(f) << "x";
    }
    ::setenv("SPACEUSE_PLUGIN_PATH", (":relative/dir:.:" + a + "::" + b).c_str(), 1);
    const auto dirs = plugin_search_dirs();
    ::unsetenv("SPACEUSE_PLUGIN_PATH");
    REQUIRE(dirs.size() >= 2);
    CHECK(dirs[0] == a);
    CHECK(dirs[1] == b);
    for (const auto& d : dirs) {
        CHECK(std::filesystem::path(d).is_absolute());
    }
    // The first folder's file hides the same name in later folders.
    CHECK(find_plugins({a, b}) ==
          std::vector<std::string>{a + "/spaceuse_metric_one.so", b + "/spaceuse_metric_two.so"});
    // A search-folder plugin that fails is reported, not thrown; an explicit one throws.
    ::setenv("SPACEUSE_PLUGIN_PATH", b.c_str(), 1);
    MetricRegistry registry;
    const auto loads = load_plugins(registry);
    ::unsetenv("SPACEUSE_PLUGIN_PATH");
    REQUIRE(loads.size() >= 2);
    CHECK_THAT(loads[0].error, Catch::Contains("spaceuse_metric_one.so: cannot load plugin"));
    CHECK_THROWS_AS(load_plugins(registry, {test_module("throwing")}), PluginError);
}
