# spaceuse_add_metric_plugin(NAME SOURCES...): builds the module spaceuse_metric_<NAME>.so that
# `spaceuse` loads (from SPACEUSE_PLUGIN_PATH, the install's lib/spaceuse/plugins, --plugin PATH
# or `plugins = [...]` in a project file). The sources use SPACEUSE_METRIC_PLUGIN() from
# <spaceuse/plugin.hpp>.
function(spaceuse_add_metric_plugin name)
    set(target spaceuse_metric_${name})
    add_library(${target} MODULE ${ARGN})
    target_link_libraries(${target} PRIVATE spaceuse::engine)
    target_compile_features(${target} PRIVATE cxx_std_20)
    # The file name is the plugin's identity: spaceuse_metric_<name>.so, without a "lib" prefix.
    set_target_properties(${target} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                          VISIBILITY_INLINES_HIDDEN ON)
endfunction()
