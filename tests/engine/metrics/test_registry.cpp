#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>

#include <catch2/catch.hpp>

using namespace spaceuse;

namespace {

class FakeMetric : public Metric {
public:
    std::vector<OutputLayer> compute(const Model&, const MetricOptions& options,
                                     const ProgressFn&) const override {
        OutputLayer l;
        l.name = "fake";
        l.fields = {{"k", FieldType::real}};
        l.rows.push_back({options.number("k", 1.5)});
        return {l};
    }
};

MetricInfo fake(const std::string& origin) {
    MetricInfo info;
    info.name = "fake";
    info.description = "a test metric";
    info.origin = origin;
    info.options = {{"k", "a number", "1.5", "m"}};
    info.factory = [] { return std::make_unique<FakeMetric>(); };
    return info;
}

}  // namespace

TEST_CASE("the registry lists built-ins and accepts new metrics", "[registry]") {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    REQUIRE(registry.find("occupancy") != nullptr);
    REQUIRE(registry.find("free_space") != nullptr);
    CHECK(registry.find("occupancy")->origin == "built-in");
    CHECK(registry.find("nope") == nullptr);
    REQUIRE(registry.find("access") != nullptr);
    // Three built-ins, plus the plugins of plugins/ when they are compiled into the engine.
    const std::size_t builtins = 3 + SPACEUSE_TEST_BUILTIN_PLUGINS;
    CHECK(registry.all().size() == builtins);

    CHECK(registry.add(fake("test")));
    CHECK_FALSE(registry.add(fake("test")));  // twice from the same origin: harmless
    CHECK(registry.all().size() == builtins + 1);
    CHECK_THROWS_AS(registry.add(fake("another.so")), PluginError);

    const auto metric = registry.find("fake")->factory();
    const Model model;
    MetricOptions options;
    CHECK(std::get<double>(metric->compute(model, options, {})[0].rows[0][0]) == 1.5);
    options.set("k", "2.25");
    CHECK(std::get<double>(metric->compute(model, options, {})[0].rows[0][0]) == 2.25);
    options.set("k", "two");
    CHECK_THROWS_AS(metric->compute(model, options, {}), ConfigError);
}

TEST_CASE("built-in occupancy declares its options with defaults and units", "[registry]") {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const MetricInfo* m = registry.find("occupancy");
    bool found_setback = false;
    for (const auto& o : m->options) {
        if (o.name == "setback_m") {
            found_setback = true;
            CHECK(o.unit == "m");
            CHECK(std::stod(o.default_value) == 5.0);
        }
    }
    CHECK(found_setback);
    CHECK(m->layers == std::vector<std::string>{"zones", "parcels", "buildings"});
}

TEST_CASE("metric options read lists and optional numbers", "[registry]") {
    spaceuse::MetricOptions o({{"kinds", " flood, ,nature ,reserve"}, {"setback_m", "7.5"},
                               {"empty", ""}, {"bad", "7m"}});
    CHECK(o.list("kinds") == std::vector<std::string>{"flood", "nature", "reserve"});
    CHECK(o.list("missing", "a,b") == std::vector<std::string>{"a", "b"});
    CHECK(o.list("missing").empty());
    CHECK(o.optional_number("setback_m") == 7.5);
    CHECK_FALSE(o.optional_number("empty").has_value());
    CHECK_FALSE(o.optional_number("missing").has_value());
    CHECK_THROWS_WITH(o.optional_number("bad"), Catch::Contains("option 'bad' must be a number"));
}
