#pragma once

/// @file plugin.hpp
/// Metric plugins: shared libraries `spaceuse_metric_<name>.so` that add metrics to the
/// registry. A plugin source defines a function `void f(spaceuse::MetricRegistry&)` that adds
/// its metrics and names it once with SPACEUSE_METRIC_PLUGIN(name, f). Built as a module, that
/// macro exports the one C entry point `spaceuse_plugin_register`, which checks the plugin API
/// version and never lets an exception cross the C boundary; compiled into the engine, it
/// defines the function register_builtin_metrics calls instead.
///
/// Plugins are found on SPACEUSE_PLUGIN_PATH (absolute folders separated by ':'), then in the
/// install's plugin folder (`lib/spaceuse/plugins` beside the engine library), or given by
/// path. The current directory is never searched.

#include <spaceuse/metrics.hpp>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

/// Version of the plugin interface (the C call below, MetricRegistry, MetricInfo and its
/// declarations, Metric, MetricInput, MetricResult and the model types). A plugin built for another
/// version is refused with an error naming both.
#define SPACEUSE_PLUGIN_API_VERSION 4

/// Name of the C entry point every plugin module exports.
#define SPACEUSE_PLUGIN_ENTRY_NAME "spaceuse_plugin_register"

extern "C" {

/// The one structure that crosses the C boundary. The two version fields come first and never
/// move, so a host can read the version of a plugin built for any interface version.
struct spaceuse_plugin_call {
    /// SPACEUSE_PLUGIN_API_VERSION of the host (set by the host).
    int host_api_version;
    /// SPACEUSE_PLUGIN_API_VERSION of the plugin (set by the plugin).
    int plugin_api_version;
    /// The spaceuse::MetricRegistry to add metrics to (set by the host).
    void* registry;
    /// Why registration failed, NUL-terminated (set by the plugin).
    char message[512];
};

/// Result codes of the entry point.
enum spaceuse_plugin_status {
    spaceuse_plugin_ok = 0,
    spaceuse_plugin_version_mismatch = 1,
    spaceuse_plugin_failed = 2
};

/// Signature of `spaceuse_plugin_register`.
typedef int (*spaceuse_plugin_entry_fn)(struct spaceuse_plugin_call* call);

}  // extern "C"

namespace spaceuse {

/// Registration function of a plugin: adds its metrics to the registry.
using PluginRegisterFn = void (*)(MetricRegistry& registry);

namespace detail {

/// Body of the C entry point: version check, registration, every exception turned into a code
/// and a message.
inline int plugin_entry(spaceuse_plugin_call* call, PluginRegisterFn fn) noexcept {
    if (call == nullptr) {
        return spaceuse_plugin_failed;
    }
    call->plugin_api_version = SPACEUSE_PLUGIN_API_VERSION;
    call->message[0] = '\0';
    if (call->host_api_version != SPACEUSE_PLUGIN_API_VERSION) {
        return spaceuse_plugin_version_mismatch;
    }
    try {
        fn(*static_cast<MetricRegistry*>(call->registry));
        return spaceuse_plugin_ok;
    } catch (const std::exception& e) {
        std::snprintf(call->message, sizeof call->message, "%s", e.what());
    } catch (...) {
        std::snprintf(call->message, sizeof call->message, "unknown exception");
    }
    return spaceuse_plugin_failed;
}

}  // namespace detail

/// One plugin file found or loaded.
struct PluginLoad {
    /// Absolute path of the module.
    std::string path;
    /// Metrics it added to the registry (empty when it was loaded before).
    std::vector<std::string> metrics;
    /// Why it could not be loaded (only for plugins found in a search folder; an explicitly
    /// given plugin that fails throws).
    std::string error;
};

/// The folders searched for plugins, in order: each absolute entry of SPACEUSE_PLUGIN_PATH
/// (empty and relative entries are skipped, so the current directory is never searched), then
/// the install's plugin folder.
std::vector<std::string> plugin_search_dirs();

/// The plugin folder of this installation: `spaceuse/plugins` beside the engine library
/// (`<prefix>/lib/spaceuse/plugins`, or `<build>/lib/spaceuse/plugins` in a build tree).
std::string installed_plugin_dir();

/// The files `spaceuse_metric_*.so` in `dirs`, in folder order then by name; a file name found
/// in an earlier folder hides the same name in later ones.
std::vector<std::string> find_plugins(const std::vector<std::string>& dirs);

/// Loads one plugin module and adds its metrics to `registry` with the module's path as their
/// origin. Loading the same module again adds nothing and is harmless. The module stays loaded
/// for the life of the process (its metrics' code lives in it).
/// @returns the names of the metrics added.
/// @throws PluginError naming the plugin: file missing, not loadable, no entry point, built
///         for another plugin API version (both versions named), registration failed, or a
///         metric name already registered from another origin.
std::vector<std::string> load_plugin(const std::string& path, MetricRegistry& registry);

/// Loads the explicitly given plugins (errors throw), then every plugin in
/// plugin_search_dirs() whose file name is not among them (errors are returned in
/// PluginLoad::error, so one broken file in a folder does not stop the others).
std::vector<PluginLoad> load_plugins(MetricRegistry& registry,
                                     const std::vector<std::string>& explicit_paths = {});

}  // namespace spaceuse

/// Declares the plugin `name` whose registration function is `fn`. Use once per plugin, at
/// namespace scope in one source file.
#if defined(SPACEUSE_PLUGIN_BUILTIN)
#define SPACEUSE_METRIC_PLUGIN(name, fn)                                                           \
    void spaceuse_builtin_plugin_##name(::spaceuse::MetricRegistry& registry) { fn(registry); }
#else
#define SPACEUSE_METRIC_PLUGIN(name, fn)                                                           \
    extern "C" __attribute__((visibility("default"))) int spaceuse_plugin_register(                \
        spaceuse_plugin_call* call) {                                                              \
        return ::spaceuse::detail::plugin_entry(call, fn);                                         \
    }
#endif
