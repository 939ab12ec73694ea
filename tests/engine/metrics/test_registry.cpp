#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>
#include <spaceuse/study.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace spaceuse;

#if SPACEUSE_TEST_BUILTIN_PLUGINS == 0
void spaceuse_builtin_plugin_constraints(spaceuse::MetricRegistry& registry);
void spaceuse_builtin_plugin_frontage(spaceuse::MetricRegistry& registry);
#endif

namespace {

class FakeMetric : public Metric {
public:
    MetricResult compute(const MetricInput& in) const override {
        OutputLayer l;
        l.name = "fake";
        l.fields = {{"k", FieldType::real}};
        l.rows.push_back({in.options().number("k")});
        MetricResult r;
        r.layers.push_back(std::move(l));
        return r;
    }
};

MetricInfo fake(const std::string& origin) {
    MetricInfo info;
    info.name = "fake";
    info.description = "a test metric";
    info.origin = origin;
    info.options = {{.name = "k",
                     .type = OptionType::number,
                     .help = "a number",
                     .default_value = 1.5,
                     .unit = "m",
                     .min = 0.0}};
    info.outputs = {{"fake", "a table", false, false, {{"k", FieldType::real, "m", "k"}}}};
    info.factory = [] { return std::make_unique<FakeMetric>(); };
    return info;
}

/// Every metric of the engine and of plugins/, compiled into this test program.
MetricRegistry full_registry() {
    MetricRegistry registry;
    register_builtin_metrics(registry);
#if SPACEUSE_TEST_BUILTIN_PLUGINS == 0
    spaceuse_builtin_plugin_constraints(registry);
    spaceuse_builtin_plugin_frontage(registry);
#endif
    return registry;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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
    REQUIRE(registry.find("definitions") != nullptr);
    REQUIRE(registry.find("scenarios") != nullptr);
    // Five built-ins, plus the plugins of plugins/ when they are compiled into the engine.
    const std::size_t builtins = 5 + SPACEUSE_TEST_BUILTIN_PLUGINS;
    CHECK(registry.all().size() == builtins);

    CHECK(registry.add(fake("test")));
    CHECK_FALSE(registry.add(fake("test")));  // twice from the same origin: harmless
    CHECK(registry.all().size() == builtins + 1);
    CHECK_THROWS_AS(registry.add(fake("another.so")), PluginError);

    // Options are parsed and checked from the declaration.
    const auto model = std::make_shared<const Model>();
    CHECK(std::get<double>(run_metric(registry, "fake", model).layers[0].rows[0][0]) == 1.5);
    CHECK(std::get<double>(run_metric(registry, "fake", model, {{"k", std::string("2.25")}})
                               .layers[0]
                               .rows[0][0]) == 2.25);
    CHECK_THROWS_WITH(run_metric(registry, "fake", model, {{"k", std::string("two")}}),
                      Catch::Contains("option 'k' must be a number, not 'two'"));
    CHECK_THROWS_WITH(run_metric(registry, "fake", model, {{"k", -1.0}}),
                      Catch::Contains("option 'k' must be >= 0 m, not -1"));
    CHECK_THROWS_WITH(run_metric(registry, "fake", model, {{"q", 1.0}}),
                      Catch::Contains("key 'q' is not an option of metric 'fake' (options: k)"));

    // A declaration is checked when registered.
    MetricInfo bad = fake("x.so");
    bad.name = "bad";
    bad.options[0].default_value = std::string("1.5");
    CHECK_THROWS_WITH(registry.add(bad), Catch::Contains("default of option 'k' is not a number"));
    MetricInfo twice = fake("y.so");
    twice.name = "twice";
    CHECK_THROWS_WITH(registry.add(twice),
                      Catch::Contains("output layer 'fake' is already written by metric 'fake'"));
    // Names the snapshot keeps for itself.
    MetricInfo reserved = fake("z.so");
    reserved.name = "reserved";
    reserved.outputs[0].name = "context_roads";
    CHECK_THROWS_WITH(registry.add(reserved),
                      Catch::Contains("output layer name 'context_roads' is reserved"));
    reserved.outputs[0].name = "reserved_out";
    reserved.outputs[0].fields.push_back(FieldSpec("FID", FieldType::integer));
    CHECK_THROWS_WITH(registry.add(reserved),
                      Catch::Contains("field 'FID' is a name the GeoPackage reserves"));
}

TEST_CASE("built-in occupancy declares its options with types, ranges and flags", "[registry]") {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const MetricInfo* m = registry.find("occupancy");
    const OptionSpec* setback = m->option("setback_m");
    REQUIRE(setback != nullptr);
    CHECK(setback->type == OptionType::number);
    CHECK(setback->unit == "m");
    CHECK(setback->flag == "setback");
    CHECK(*setback->min == 0.0);
    // No default of its own: the profile's value applies.
    CHECK(std::holds_alternative<std::monostate>(setback->default_value));
    REQUIRE(m->layers.size() == 3);
    CHECK(m->layers[2].role == "buildings");
    CHECK(m->layers[2].geometry == GeometryFamily::polygon);
    CHECK(m->option("free_space")->adds_metric == "free_space");
    CHECK(registry.find("free_space")->uses == std::vector<std::string>{"occupancy"});
    // The 500 m default snap distance is stated once, in the access declaration.
    CHECK(std::get<double>(registry.find("access")->option("max_snap_m")->default_value) == 500.0);
}

TEST_CASE("metric options: typed values from text, numbers and lists", "[registry]") {
    MetricInfo info = fake("t");
    info.options.push_back({.name = "kinds", .type = OptionType::list, .help = "kinds"});
    info.options.push_back({.name = "bands",
                            .type = OptionType::number_list,
                            .help = "bands",
                            .min = 0.0,
                            .min_exclusive = true});
    info.options.push_back({.name = "when", .type = OptionType::date, .help = "date"});
    info.options.push_back({.name = "mode",
                            .type = OptionType::choice,
                            .help = "mode",
                            .default_value = std::string("a"),
                            .choices = {"a", "b"}});
    info.options.push_back({.name = "data", .type = OptionType::file, .help = "a file"});
    const MetricOptions o = parse_options(info,
                                          {{"kinds", std::string(" flood, ,nature ,reserve")},
                                           {"bands", std::string("5,10,15")},
                                           {"when", std::string("2024-06-01")},
                                           {"data", std::string("speeds.csv")}},
                                          "p.toml: [x]", "/projects/a");
    CHECK(o.list("kinds") == std::vector<std::string>{"flood", "nature", "reserve"});
    CHECK(o.numbers("bands") == std::vector<double>{5, 10, 15});
    CHECK(o.text("when") == "2024-06-01");
    CHECK(o.text("mode") == "a");
    CHECK(o.number("k") == 1.5);
    CHECK(o.text("data") == "/projects/a/speeds.csv");
    CHECK_THROWS_WITH(parse_options(info, {{"bands", std::vector<double>{5, 0}}}, "p.toml: [x]"),
                      Catch::StartsWith("p.toml: [x] option 'bands' must be > 0"));
    CHECK_THROWS_WITH(parse_options(info, {{"when", std::string("1 June")}}, "w"),
                      Catch::Contains("must be a date YYYY-MM-DD"));
    CHECK_THROWS_WITH(parse_options(info, {{"mode", std::string("c")}}, "w"),
                      Catch::Contains("must be one of a, b, not 'c'"));
    CHECK(option_text(o.value("bands")) == "5,10,15");
}

TEST_CASE("every metric writes exactly the fields it declares, on the sample",
          "[registry][sample]") {
    const std::string dir = test::temp_dir("declared_fields");
    Study study = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
    study.output_dir = dir;
    study.write.overwrite = true;
    study.documents = {};
    study.exports.formats = {ExportFormat::geojson};
    const MetricRegistry registry = full_registry();
    // Every metric of the registry runs: the sample runs occupancy, free_space, access,
    // definitions, constraints, frontage and scenarios (the study checks each layer against its
    // declaration).
    const std::uint64_t overlays = occupancy_overlay_count();
    const StudyReport report = run_study(study);
    // The occupancy overlay ran once although free_space, constraints and the modest scenario
    // use its results; once more for the intensive scenario, whose setback (3 m) differs.
    CHECK(occupancy_overlay_count() - overlays == 2);
    CHECK(report.computed == std::vector<std::string>{"occupancy", "free_space", "access",
                                                      "definitions", "constraints", "frontage",
                                                      "scenarios"});
    for (const auto& m : registry.all()) {
        INFO("metric " << m.name);
        CHECK(std::find(report.computed.begin(), report.computed.end(), m.name) !=
              report.computed.end());
        for (const auto& out : m.outputs) {
            INFO("layer " << out.name);
            // The header of the written file holds exactly the declared fields.
            std::vector<std::string> written;
            if (out.geometry) {
                const auto j = nlohmann::ordered_json::parse(
                    read_text(dir + "/" + out.name + ".geojson"));
                for (const auto& [key, value] : j["features"][0]["properties"].items()) {
                    written.push_back(key);
                }
            } else {
                std::string header = read_text(dir + "/" + out.name + ".csv");
                header = header.substr(0, header.find('\n'));
                std::stringstream ss(header);
                for (std::string item; std::getline(ss, item, ',');) {
                    written.push_back(item);
                }
            }
            // A run of template fields ("{K}_dist_m", "{K}_time_min"...) is one group of fields
            // repeated per kind; an optional field may be missing.
            std::string pattern;
            std::string group;
            for (const auto& f : out.fields) {
                const std::string name = std::regex_replace(f.name, std::regex(R"(\{[A-Z]\})"),
                                                            "[^,]+");
                if (name != f.name) {
                    group += name + ",";
                    continue;
                }
                if (!group.empty()) {
                    pattern += "(?:" + group + ")*";
                    group.clear();
                }
                pattern += f.optional ? "(?:" + name + ",)?" : name + ",";
            }
            if (!group.empty()) {
                pattern += "(?:" + group + ")*";
            }
            std::string joined;
            for (const auto& w : written) {
                joined += w + ",";
            }
            CHECK(std::regex_match(joined, std::regex(pattern)));
            CHECK_FALSE(written.empty());
        }
    }
    // The constraints metric wrote one per-kind field per kind of the sample.
    const auto c = nlohmann::json::parse(read_text(dir + "/constraints_parcels.geojson"));
    CHECK(c["features"][0]["properties"].contains("constrained_flood_m2"));

    // The definitions hash is recorded and changes with what changes results only.
    const auto manifest = nlohmann::json::parse(read_text(dir + "/run.json"));
    CHECK(manifest["definitions_hash"] == report.definitions_hash);
    // Each built-in metric's own section: the sample's totals (see summary.csv).
    CHECK(manifest["occupancy"]["total"]["n_parcels"] == 40);
    CHECK(manifest["occupancy"]["total"]["zone_id"] == "TOTAL");
    CHECK(manifest["access"]["kinds"].size() == 3);
    CHECK(manifest["metrics"].size() == 7);
    // The definitions' section: each profile, where it came from, nothing left uncomputed.
    REQUIRE(manifest["definitions"].size() == 6);
    CHECK(manifest["definitions"][1]["name"] == "vlaio");
    CHECK(manifest["definitions"][1]["not_computable"].empty());
    CHECK(manifest["definitions"][0]["from_thresholds"] == true);
    CHECK(manifest["metrics"][0]["files"] == nlohmann::json::array({"summary.csv"}));
    CHECK(report.definitions_hash.size() == 64);
    Study other = study;
    other.output_dir = dir + "_b";
    other.threads = 1;
    other.exports.formats = {ExportFormat::gpkg};
    other.exports.styles = false;
    CHECK(run_study(other).definitions_hash == report.definitions_hash);
    other.metric("occupancy").options["setback_m"] = 7.0;
    CHECK(run_study(other).definitions_hash != report.definitions_hash);
    // Every definition's content enters the hash: fewer definitions, or one whose rule changed
    // under the same name, give another hash.
    Study defs = study;
    defs.output_dir = dir + "_c";
    defs.exports.formats = {ExportFormat::gpkg};
    defs.metric("definitions").options["profiles"] = std::vector<std::string>{"default", "vlaio"};
    CHECK(run_study(defs).definitions_hash != report.definitions_hash);
    std::string metro = read_text(std::string(SPACEUSE_SOURCE_DIR) +
                                  "/data/profiles/metro-rlis.toml");
    const auto at = metro.find("largest_free_m2 >= 2023.43");
    REQUIRE(at != std::string::npos);
    metro.replace(at, std::string("largest_free_m2 >= 2023.43").size(), "largest_free_m2 >= 2000");
    const std::string changed = dir + "_metro-rlis.toml";
    std::ofstream(changed) << metro;
    defs.metric("definitions").options["profiles"] = std::vector<std::string>{
        "default", "vlaio", "ibis", "oar660-038", changed, "leegstand1995"};
    const StudyReport changed_run = run_study(defs);
    CHECK(changed_run.definitions_hash != report.definitions_hash);
    CHECK(changed_run.definitions_hash.size() == 64);
}

TEST_CASE("metrics --json: the declarations match the golden file", "[registry]") {
    const std::string text = metrics_json(full_registry());
    const std::string golden = std::string(SPACEUSE_SOURCE_DIR) + "/tests/golden/metrics.json";
    if (const char* update = std::getenv("SPACEUSE_UPDATE_GOLDEN"); update && *update == '1') {
        std::ofstream(golden) << text;
    }
    CHECK(text == read_text(golden));
    const auto j = nlohmann::json::parse(text);
    CHECK(j["format_version"] == metrics_json_version);
}

TEST_CASE("study plan: used metrics planned first, missing layers and unknown roles are errors",
          "[registry]") {
    const std::string dir = test::temp_dir("plan");
    Study study;
    study.output_dir = dir;
    study.add_layer(
        "parcels",
        parse_layer_source(test::vsimem(
            "plan_p.geojson",
            test::feature_collection(31370, test::feature("{}", test::rect(0, 0, 10, 10))))));
    // constraints uses occupancy: occupancy is planned first, and its missing layers are named
    // before any data is read.
    study.metric("constraints");
    CHECK_THROWS_WITH(run_study(study),
                      Catch::Contains("metric 'occupancy' needs a 'zones' layer"));
    // Option combinations across metrics are checked in the plan, before any data is read.
    Study sample = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
    sample.output_dir = dir + "/sample";
    sample.metric("occupancy").options["free_space"] = false;
    CHECK_THROWS_WITH(run_study(sample),
                      Catch::Contains("[metrics.constraints]: constraints: needs occupancy's "
                                      "usable free space"));
    sample.metric("occupancy").options.erase("free_space");
    sample.metric("constraints").options["setback_m"] = 2.0;
    CHECK_THROWS_WITH(run_study(sample), Catch::Contains("option 'setback_m' is occupancy's"));
    sample.metric("constraints").options.erase("setback_m");
    sample.metric("access").options["facility_field"] = std::vector<std::string>{"kind", "x"};
    CHECK_THROWS_WITH(run_study(sample), Catch::Contains("[access]: give one facility field for "
                                                         "all facility layers or one per layer"));
    // An unknown role needs its geometry.
    Study roles;
    roles.output_dir = dir;
    roles.add_layer("lakes", parse_layer_source("lakes.gpkg"));
    CHECK_THROWS_WITH(run_study(roles), Catch::Contains("no metric reads the role 'lakes'"));
}
