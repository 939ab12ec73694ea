#include "command_info.hpp"

#include "flag_hints.hpp"

#include "progress_bar.hpp"

#include <spaceuse/io.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace spaceuse::cli {

namespace {

nlohmann::json crs_json(const CrsInfo& crs) {
    if (crs.wkt.empty()) {
        return nullptr;
    }
    return {{"name", crs.name},
            {"code", crs.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(crs.code)},
            {"geographic", crs.geographic},
            {"projected", crs.projected},
            {"metric", crs.metric}};
}

std::string crs_text(const CrsInfo& crs) {
    if (crs.wkt.empty()) {
        return "none";
    }
    std::string text = crs.name;
    if (!crs.code.empty()) {
        text += " (" + crs.code + ")";
    }
    text += crs.geographic ? ", geographic" : crs.projected ? ", projected" : "";
    text += crs.metric ? ", metric" : ", not metric";
    return text;
}

std::string accuracy_text(double accuracy) {
    if (accuracy < 0) {
        return "accuracy unknown";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "accuracy %g m", accuracy);
    return buf;
}

}  // namespace

CLI::App* CommandInfo::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("info", "Describe vector layers: driver, CRS, extent, fields, "
                                           "geometry problems, and the analysis CRS");
    sub->add_option("sources", m_sources, "Sources as PATH, PATH:LAYER or a PG: connection string")
        ->required();
    sub->add_option("--layer", m_layer, "Layer name (for sources given without :LAYER)");
    sub->add_option("--where", m_where, "OGR SQL attribute filter");
    sub->add_option("--crs", m_crs, "Analysis CRS to use (EPSG:xxxx)");
    sub->add_option("--assume-crs", m_assume_crs, "CRS for layers that have none");
    sub->add_flag("--json", m_json, "Print JSON on stdout");
    return sub;
}

int CommandInfo::run() {
    std::vector<LayerSource> sources;
    for (const auto& spec : m_sources) {
        LayerSource s = parse_layer_source(spec);
        if (!m_layer.empty() && s.layer.empty()) {
            s.layer = m_layer;
        }
        s.where = m_where;
        sources.push_back(s);
    }
    LoadOptions options;
    options.crs = m_crs;
    options.assume_crs = m_assume_crs;
    ProgressBar bar(m_global.show_progress() && !m_json);
    const InfoReport report = inspect_sources(sources, options, bar.callback());
    bar.finish();

    if (m_json) {
        nlohmann::json out;
        out["layers"] = nlohmann::json::array();
        for (const auto& l : report.layers) {
            nlohmann::json j;
            j["source"] = l.label;
            j["driver"] = l.driver;
            j["layer"] = l.layer;
            j["geometry_type"] = l.geometry_type;
            j["feature_count"] = l.feature_count;
            j["crs"] = crs_json(l.crs);
            j["extent"] = {l.extent[0], l.extent[1], l.extent[2], l.extent[3]};
            j["extent_wgs84"] = l.has_wgs84_extent
                                    ? nlohmann::json{l.wgs84_extent[0], l.wgs84_extent[1],
                                                     l.wgs84_extent[2], l.wgs84_extent[3]}
                                    : nlohmann::json(nullptr);
            j["encoding"] = l.encoding.empty() ? nlohmann::json(nullptr)
                                               : nlohmann::json(l.encoding);
            j["fields"] = nlohmann::json::array();
            for (const auto& f : l.fields) {
                j["fields"].push_back({{"name", f.name}, {"type", f.type}});
            }
            j["geometries"] = {{"null", l.null_geometries},
                               {"empty", l.empty_geometries},
                               {"invalid", l.invalid_geometries}};
            j["examples"] = nlohmann::json::array();
            for (const auto& e : l.examples) {
                j["examples"].push_back({{"fid", e.fid}, {"reason", e.detail}});
            }
            j["warnings"] = l.warnings;
            if (l.has_operation) {
                j["operation_to_analysis_crs"] = {
                    {"name", l.operation.name},
                    {"accuracy_m", l.operation.accuracy_m < 0
                                       ? nlohmann::json(nullptr)
                                       : nlohmann::json(l.operation.accuracy_m)}};
            }
            out["layers"].push_back(j);
        }
        out["analysis_crs"] = crs_json(report.analysis_crs);
        out["analysis_crs_reason"] = report.analysis_crs_reason;
        std::cout << out.dump(2) << "\n";
        return exit_ok;
    }

    for (const auto& l : report.layers) {
        std::printf("%s\n", l.label.c_str());
        std::printf("  driver:         %s\n", l.driver.c_str());
        std::printf("  geometry:       %s\n", l.geometry_type.c_str());
        std::printf("  features:       %lld\n", static_cast<long long>(l.feature_count));
        std::printf("  CRS:            %s\n", crs_text(l.crs).c_str());
        std::printf("  extent:         %.3f %.3f %.3f %.3f\n", l.extent[0], l.extent[1],
                    l.extent[2], l.extent[3]);
        if (l.has_wgs84_extent) {
            std::printf("  extent (WGS84): %.6f %.6f %.6f %.6f\n", l.wgs84_extent[0],
                        l.wgs84_extent[1], l.wgs84_extent[2], l.wgs84_extent[3]);
        }
        std::printf("  encoding:       %s\n", l.encoding.empty() ? "unknown" : l.encoding.c_str());
        std::printf("  fields:         %zu\n", l.fields.size());
        for (const auto& f : l.fields) {
            std::printf("    %-24s %s\n", f.name.c_str(), f.type.c_str());
        }
        std::printf("  geometries:     %lld null, %lld empty, %lld invalid\n",
                    static_cast<long long>(l.null_geometries),
                    static_cast<long long>(l.empty_geometries),
                    static_cast<long long>(l.invalid_geometries));
        for (const auto& e : l.examples) {
            std::printf("    fid %lld: %s\n", static_cast<long long>(e.fid), e.detail.c_str());
        }
        if (l.has_operation) {
            std::printf("  to analysis CRS: %s (%s)\n", l.operation.name.c_str(),
                        accuracy_text(l.operation.accuracy_m).c_str());
        }
        for (const auto& w : l.warnings) {
            std::printf("  warning:        %s\n", with_flag_hints(w).c_str());
        }
    }
    if (!report.analysis_crs.wkt.empty()) {
        std::printf("analysis CRS: %s\n  (%s)\n", crs_text(report.analysis_crs).c_str(),
                    report.analysis_crs_reason.c_str());
    } else {
        std::printf("analysis CRS: none (%s)\n", report.analysis_crs_reason.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
