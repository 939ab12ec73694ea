// Small plugin modules that misbehave on purpose, for the loader and study tests. One source, built
// once per SPACEUSE_TEST_MODULE value (tests/CMakeLists.txt).

#include <spaceuse/plugin.hpp>

#include <cstring>
#include <stdexcept>

#if SPACEUSE_TEST_MODULE == 1
// Built for a future interface version: answers with its own version and refuses.
extern "C" __attribute__((visibility("default"))) int spaceuse_plugin_register(
    spaceuse_plugin_call* call) {
    call->plugin_api_version = 999;
    return spaceuse_plugin_version_mismatch;
}
#elif SPACEUSE_TEST_MODULE == 2
// Throws while registering: the exception must come back as an error, not cross the C call.
namespace {
void register_throwing(spaceuse::MetricRegistry&) {
    throw std::runtime_error("boom: cannot register");
}
}  // namespace
SPACEUSE_METRIC_PLUGIN(throwing, register_throwing)
#elif SPACEUSE_TEST_MODULE == 3
// Registers a name a built-in metric already has.
namespace {
class Nothing : public spaceuse::Metric {
public:
    spaceuse::MetricResult compute(const spaceuse::MetricInput&) const override { return {}; }
};
void register_clash(spaceuse::MetricRegistry& registry) {
    spaceuse::MetricInfo m;
    m.name = "occupancy";
    m.description = "clashes with the built-in";
    m.factory = [] { return std::make_unique<Nothing>(); };
    registry.add(std::move(m));
}
}  // namespace
SPACEUSE_METRIC_PLUGIN(clash, register_clash)
#elif SPACEUSE_TEST_MODULE == 5
// Registers a metric that fails in the compute stage, after the metrics before it ran: a run
// with it must leave the earlier results untouched.
namespace {
class FailsInCompute : public spaceuse::Metric {
public:
    spaceuse::MetricResult compute(const spaceuse::MetricInput&) const override {
        throw std::runtime_error("fails_in_compute: boom");
    }
};
void register_failing(spaceuse::MetricRegistry& registry) {
    spaceuse::MetricInfo m;
    m.name = "fails_in_compute";
    m.description = "throws while computing (a test module)";
    m.factory = [] { return std::make_unique<FailsInCompute>(); };
    registry.add(std::move(m));
}
}  // namespace
SPACEUSE_METRIC_PLUGIN(failing, register_failing)
#else
// No entry point at all.
extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return 0; }
#endif
