#include <spaceuse/error.hpp>
#include <spaceuse/plugin.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

#ifndef SPACEUSE_PLUGIN_SUBDIR
#define SPACEUSE_PLUGIN_SUBDIR "spaceuse/plugins"
#endif

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

bool is_plugin_file_name(const std::string& name) {
    const std::string prefix = "spaceuse_metric_";
    const std::string suffix = ".so";
    return name.size() > prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// dlopen/dlerror keep per-process state; one loader at a time keeps dlerror's text ours.
std::mutex& loader_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

std::string installed_plugin_dir() {
    // Relative to the engine library itself, so a build tree and a relocated install both work
    // without a path compiled in.
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&installed_plugin_dir), &info) == 0 ||
        info.dli_fname == nullptr) {
        return {};
    }
    std::error_code ec;
    const fs::path lib = fs::weakly_canonical(fs::path(info.dli_fname), ec);
    if (ec) {
        return {};
    }
    return (lib.parent_path() / SPACEUSE_PLUGIN_SUBDIR).string();
}

std::vector<std::string> plugin_search_dirs() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("SPACEUSE_PLUGIN_PATH")) {
        const std::string path = env;
        std::size_t start = 0;
        while (start <= path.size()) {
            const std::size_t end = std::min(path.find(':', start), path.size());
            const std::string entry = path.substr(start, end - start);
            // An empty or relative entry would mean the current directory: never searched.
            if (!entry.empty() && fs::path(entry).is_absolute()) {
                dirs.push_back(entry);
            }
            start = end + 1;
        }
    }
    const std::string installed = installed_plugin_dir();
    if (!installed.empty() && std::find(dirs.begin(), dirs.end(), installed) == dirs.end()) {
        dirs.push_back(installed);
    }
    return dirs;
}

std::vector<std::string> find_plugins(const std::vector<std::string>& dirs) {
    std::vector<std::string> found;
    std::set<std::string> names;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            if (is_plugin_file_name(name) && entry.is_regular_file(ec)) {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            if (names.insert(f.filename().string()).second) {
                found.push_back(f.string());
            }
        }
    }
    return found;
}

std::vector<std::string> load_plugin(const std::string& path, MetricRegistry& registry) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        throw PluginError("plugin not found").set_source(path);
    }
    const std::string canonical = fs::canonical(path, ec).string();
    const std::string& where = ec ? path : canonical;

    spaceuse_plugin_call call{};
    MetricRegistry added_by_plugin;
    int status = 0;
    {
        const std::lock_guard<std::mutex> lock(loader_mutex());
        // Never closed: the metrics' factories and vtables live in the module.
        void* handle = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* why = dlerror();
            throw PluginError(std::string("cannot load plugin: ") + (why ? why : "unknown reason"))
                .set_source(where);
        }
        void* symbol = dlsym(handle, SPACEUSE_PLUGIN_ENTRY_NAME);
        if (symbol == nullptr) {
            throw PluginError("not a spaceuse metric plugin: it exports no '" +
                              std::string(SPACEUSE_PLUGIN_ENTRY_NAME) + "' entry point")
                .set_source(where);
        }
        const auto entry = reinterpret_cast<spaceuse_plugin_entry_fn>(symbol);
        call.host_api_version = SPACEUSE_PLUGIN_API_VERSION;
        call.registry = &added_by_plugin;
        status = entry(&call);
    }
    call.message[sizeof call.message - 1] = '\0';
    if (status == spaceuse_plugin_version_mismatch ||
        call.plugin_api_version != SPACEUSE_PLUGIN_API_VERSION) {
        throw PluginError("plugin built for plugin API version " +
                          std::to_string(call.plugin_api_version) + ", but this spaceuse has " +
                          "plugin API version " + std::to_string(SPACEUSE_PLUGIN_API_VERSION) +
                          "; rebuild the plugin against this spaceuse's headers")
            .set_source(where);
    }
    if (status != spaceuse_plugin_ok) {
        throw PluginError(std::string("plugin registration failed: ") +
                          (call.message[0] != '\0' ? call.message : "no reason given"))
            .set_source(where);
    }
    std::vector<std::string> names;
    for (MetricInfo info : added_by_plugin.all()) {
        info.origin = where;
        const std::string name = info.name;
        try {
            if (registry.add(std::move(info))) {
                names.push_back(name);
            }
        } catch (PluginError& e) {
            throw e.set_source(where);
        }
    }
    return names;
}

std::vector<PluginLoad> load_plugins(MetricRegistry& registry,
                                     const std::vector<std::string>& explicit_paths) {
    std::vector<PluginLoad> loads;
    std::set<std::string> explicit_names;
    for (const auto& path : explicit_paths) {
        PluginLoad load;
        load.metrics = load_plugin(path, registry);
        std::error_code ec;
        load.path = fs::canonical(path, ec).string();
        explicit_names.insert(fs::path(path).filename().string());
        loads.push_back(std::move(load));
    }
    for (const auto& path : find_plugins(plugin_search_dirs())) {
        if (explicit_names.count(fs::path(path).filename().string()) != 0) {
            continue;
        }
        PluginLoad load;
        load.path = path;
        try {
            load.metrics = load_plugin(path, registry);
        } catch (const PluginError& e) {
            load.error = e.what();
        }
        loads.push_back(std::move(load));
    }
    return loads;
}

}  // namespace spaceuse
