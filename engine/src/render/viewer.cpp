#include "geos/geos.hpp"
#include "render/followup.hpp"
#include "render/render_util.hpp"
#include "render/viewer_content.hpp"
#include "util/markup.hpp"

#include <spaceuse/error.hpp>

#include <boost/geometry.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef SPACEUSE_BUILD_LEAFLET_DIR
#define SPACEUSE_BUILD_LEAFLET_DIR ""
#endif
#ifndef SPACEUSE_INSTALL_LEAFLET_DIR
#define SPACEUSE_INSTALL_LEAFLET_DIR ""
#endif

namespace spaceuse {

namespace {

namespace fs = std::filesystem;
namespace bg = boost::geometry;

/// Text safe inside a <script> or <style> element.
std::string script_safe(std::string text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
            out += "<\\/";
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

/// An input layer (buildings, roads, facilities) near the zones, as an output layer.
OutputLayer input_layer(const Layer& layer, const Box& near, const std::string& name,
                        const std::vector<std::string>& fields,
                        const std::function<std::string(std::size_t)>& kind) {
    OutputLayer out;
    out.name = name;
    out.fields.push_back({"id", FieldType::string});
    std::vector<std::optional<std::size_t>> idx;
    for (const auto& f : fields) {
        out.fields.push_back({f, FieldType::string});
        idx.push_back(layer.field_index(f));
    }
    if (kind) {
        out.fields.push_back({"kind", FieldType::string});
    }
    for (std::size_t i = 0; i < layer.features.size(); ++i) {
        const Feature& f = layer.features[i];
        if (!bg::intersects(envelope(f.geometry), near)) {
            continue;
        }
        std::vector<Value> row{f.id};
        for (const auto& c : idx) {
            row.push_back(c ? f.attributes[*c] : Value(std::monostate{}));
        }
        if (kind) {
            row.emplace_back(kind(i));
        }
        out.rows.push_back(std::move(row));
        out.geometries.push_back(f.geometry);
    }
    return out;
}

const char* viewer_css = R"(
html, body { margin: 0; height: 100%; font-family: "DejaVu Sans", Arial, sans-serif; }
#map { position: absolute; top: 48px; bottom: 0; left: 0; right: 0; background: #f8f8f8; }
#top { height: 48px; padding: 6px 12px; box-sizing: border-box; border-bottom: 1px solid #ccc; }
#top h1 { font-size: 17px; margin: 0; }
#top div { font-size: 12px; color: #555; }
.su-legend { background: white; padding: 8px 10px; font-size: 12px; line-height: 18px;
             border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.su-legend i { display: inline-block; width: 18px; height: 12px; margin-right: 6px;
               vertical-align: middle; border: 1px solid #6e6e6e; }
.su-legend b { display: block; margin-top: 4px; }
.su-label { font-weight: bold; background: rgba(255,255,255,0.8); border: none; box-shadow: none; }
.su-popup table { border-collapse: collapse; font-size: 12px; }
.su-popup td { padding: 1px 6px; }
.su-popup td:last-child { text-align: right; font-weight: bold; }
)";

const char* viewer_js = R"(
(function () {
  const D = SPACEUSE_DATA, M = SPACEUSE_META;
  const statusColour = M.status_colours;
  const map = L.map('map', { preferCanvas: false, zoomSnap: 0.25 });
  map.attributionControl.setPrefix('Leaflet');
  map.attributionControl.addAttribution(M.sources);
  L.control.scale({ imperial: false }).addTo(map);
  const fmt = (v, d) => (v === null || v === undefined) ? '–' :
    (typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: d === undefined ? 1 : d }) : String(v));
  const esc = t => String(t).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const pct = v => (v === null || v === undefined) ? '–' : (100 * v).toFixed(1) + ' %';
  const rows = list => '<table>' + list.map(r => '<tr><td>' + r[0] + '</td><td>' + r[1] + '</td></tr>').join('') + '</table>';
  const access = D.access ? Object.fromEntries(D.access.features.map(f => [f.properties.origin_id, f.properties])) : {};
  const definitions = D.definitions ? Object.fromEntries(D.definitions.features.map(f => [f.properties.parcel_id, f.properties])) : {};
  const scenarios = D.scenarios ? Object.fromEntries(D.scenarios.features.map(f => [f.properties.parcel_id, f.properties])) : {};
  // What the parcels are coloured by: 'status', a definition's field prefix, or
  // 'scenario:<name>' (the added floor area, in the classes of the report's map).
  let colourBy = 'status';
  const scenarioOf = c => c.startsWith('scenario:') ? c.slice(9) : null;
  function capacityClass(p) {
    const s = scenarios[p.parcel_id];
    const v = s ? s[scenarioOf(colourBy) + '_floor_m2'] : null;
    if (v === null || v === undefined) return 'no value';
    let k = 0;
    while (k < M.capacity_classes.length - 1 && v >= M.capacity_classes[k + 1].from) k++;
    return M.capacity_classes[k].label;
  }
  function level(p) {
    const d = definitions[p.parcel_id];
    const l = d ? d[colourBy + '_level'] : null;
    return l === null || l === undefined ? 'not computable' : l;
  }
  const capacityColour = l => (M.capacity_classes.find(c => c.label === l) || { colour: '#dddddd' }).colour;
  const parcelFill = p => colourBy === 'status' ? (statusColour[p.status] || '#dddddd') :
    scenarioOf(colourBy) ? capacityColour(capacityClass(p)) : M.level_colours[level(p)];
  const parcelWord = p => colourBy === 'status' ? p.status :
    scenarioOf(colourBy) ? 'added floor area ' + capacityClass(p) : level(p);
  function parcelPopup(p) {
    const list = [['Parcel', p.parcel_id], ['Zone', fmt(p.zone_id)], ['Status', p.status + ' (' + p.status_source + ')'],
      ['Area', fmt(p.area_m2, 0) + ' m²'], ['Built', fmt(p.built_m2, 0) + ' m²'], ['Coverage', pct(p.coverage)],
      ['Floor area ratio', fmt(p.far, 2)], ['Usable free area', fmt(p.free_m2, 0) + ' m²'],
      ['Largest free piece', fmt(p.largest_free_m2, 0) + ' m²'], ['Buildings', fmt(p.n_buildings)]];
    const a = access[p.parcel_id];
    if (a) {
      for (const k of M.access_kinds) {
        const d = a[k.prefix + '_dist_m'], t = a[k.prefix + '_time_min'];
        list.push([k.label, d === null ? 'not reached' : fmt(d / 1000, 1) + ' km, ' + fmt(t, 0) + ' min']);
      }
    }
    const d = definitions[p.parcel_id];
    if (d) {
      for (const def of M.definitions) {
        const c = d[def.column + '_class'];
        list.push(['Definition ' + esc(def.name), esc(c === null || c === undefined ? d[def.column + '_rule'] : c + ' (' + d[def.column + '_level'] + ')')]);
      }
    }
    const s = scenarios[p.parcel_id];
    if (s) {
      for (const sc of M.scenarios) {
        const k = sc.name, note = s[k + '_note'], rank = s[k + '_rank'];
        list.push(['Scenario ' + esc(k), '+' + fmt(s[k + '_floor_m2'], 0) + ' m² floor, +' + fmt(s[k + '_footprint_m2'], 0) + ' m² footprint' +
          (s[k + '_jobs'] === null || s[k + '_jobs'] === undefined ? '' : ', ' + fmt(s[k + '_jobs'], 0) + ' jobs') +
          (rank === null || rank === undefined ? '' : '; rank ' + rank + ' (' + fmt(s[k + '_score'], 1) + ' points)') +
          (note ? '; ' + esc(note) : '')]);
      }
    }
    return '<div class="su-popup">' + rows(list) + '</div>';
  }
  function zonePopup(p) {
    return '<div class="su-popup"><b>' + (p.name || p.zone_id) + '</b>' + rows([
      ['Gross area', fmt(p.gross_m2, 0) + ' m²'], ['Net parcel area', fmt(p.net_m2, 0) + ' m²'],
      ['Built', fmt(p.built_m2, 0) + ' m²'], ['Coverage', pct(p.coverage)], ['Occupancy', pct(p.occupancy)],
      ['Vacant', fmt(p.vacant_m2, 0) + ' m²'], ['Underused', fmt(p.underused_m2, 0) + ' m²'],
      ['Usable free area', fmt(p.free_m2, 0) + ' m²'],
      ['Parcels occ/und/vac', p.n_occupied + ' / ' + p.n_underused + ' / ' + p.n_vacant]]) + '</div>';
  }
  const sign = (v, d) => (v === null || v === undefined) ? '–' : (v > 0 ? '+' : '') + fmt(v, d);
  function changePopup(p) {
    return '<div class="su-popup"><b>' + M.change_labels[p.category] + '</b>' + rows([
      ['Change', p.change], ['Parcels ' + M.change_since, fmt(p.parcel_ids_before)],
      ['Parcels now', fmt(p.parcel_ids_after)], ['Zone', fmt(p.zone_id)],
      ['Status ' + M.change_since, fmt(p.status_before)], ['Status now', fmt(p.status_after)],
      ['Area then / now', fmt(p.area_before_m2, 0) + ' / ' + fmt(p.area_after_m2, 0) + ' m²'],
      ['Built', sign(p.d_built_m2, 0) + ' m²'], ['Coverage', p.d_coverage === null ? '–' : sign(100 * p.d_coverage, 1) + ' pt'],
      ['Floor area', sign(p.d_floor_m2, 0) + ' m²'], ['Usable free area', sign(p.d_free_m2, 0) + ' m²']]) + '</div>';
  }
  const overlays = {}, counts = {};
  function add(name, label, layer, on) {
    overlays[label] = layer;
    counts[name] = layer.getLayers().length;
    if (on) layer.addTo(map);
  }
  if (D.zones) add('zones', 'Zones', L.geoJSON(D.zones, {
    style: { color: '#222222', weight: 2.5, fillColor: '#f0f0f0', fillOpacity: 0.6 },
    onEachFeature: (f, l) => {
      l.bindPopup(zonePopup(f.properties));
      l.bindTooltip(f.properties.name || f.properties.zone_id, { permanent: true, direction: 'top', offset: [0, -14], className: 'su-label' });
    } }), true);
  if (D.roads) add('roads', 'Roads', L.geoJSON(D.roads, {
    style: { color: '#9a9a9a', weight: 2 }, interactive: false }), true);
  if (D.isochrones) add('isochrones', 'Isochrones', L.geoJSON(D.isochrones, {
    style: f => ({ color: '#332288', weight: 1, fillColor: '#332288', fillOpacity: 0.08 }),
    onEachFeature: (f, l) => l.bindTooltip(f.properties.kind + ': ' + f.properties.minutes + ' min') }), false);
  const parcelStyle = f => ({ color: '#6e6e6e', weight: 0.7, fillColor: parcelFill(f.properties), fillOpacity: 1 });
  const parcelLayer = D.parcels ? L.geoJSON(D.parcels, {
    style: parcelStyle,
    onEachFeature: (f, l) => {
      l.bindPopup(parcelPopup(f.properties));
      l.bindTooltip(() => f.properties.parcel_id + ': ' + parcelWord(f.properties), { sticky: true });
      l.on('mouseover', () => l.setStyle({ weight: 2.5, color: '#000000' }));
      l.on('mouseout', () => l.setStyle({ weight: 0.7, color: '#6e6e6e' }));
    } }) : null;
  if (parcelLayer) add('parcels', 'Parcels', parcelLayer, true);
  if (D.changes) add('changes', 'Changes since ' + M.change_since, L.geoJSON(D.changes, {
    style: f => f.properties.category === 'retired'
      ? { color: '#000000', weight: 1.5, dashArray: '4 3', fill: false }
      : { color: '#6e6e6e', weight: 0.7, fillColor: M.change_colours[f.properties.category] || '#dddddd', fillOpacity: 1 },
    onEachFeature: (f, l) => {
      l.bindPopup(changePopup(f.properties));
      l.bindTooltip((f.properties.parcel_ids_after || f.properties.parcel_ids_before) + ': ' + M.change_labels[f.properties.category], { sticky: true });
    } }), false);
  if (D.free_space) add('free_space', 'Usable free space', L.geoJSON(D.free_space, {
    style: { color: '#117733', weight: 1, dashArray: '3 3', fillColor: '#117733', fillOpacity: 0.3 },
    onEachFeature: (f, l) => l.bindTooltip('free piece ' + f.properties.piece_id + ': ' + fmt(f.properties.area_m2, 0) + ' m²') }), true);
  if (D.buildings) add('buildings', 'Buildings', L.geoJSON(D.buildings, {
    style: { color: '#5a5a5a', weight: 0.5, fillColor: '#5a5a5a', fillOpacity: 0.9 }, interactive: false }), true);
  if (D.facilities) add('facilities', 'Facilities', L.geoJSON(D.facilities, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4.5, weight: 1, color: '#ffffff', fillOpacity: 1,
      fillColor: (M.facility_colours[f.properties.kind] || '#999933') }).bindTooltip(f.properties.kind + ' ' + f.properties.id) }), true);
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  const legend = L.control({ position: 'bottomright' });
  let legendDiv = null;
  function legendHtml() {
    let h = '';
    if (colourBy === 'status') {
      h += '<b>Parcels by status</b>';
      for (const s of ['occupied', 'underused', 'vacant'])
        h += '<div><i style="background:' + statusColour[s] + '"></i>' + s + ' (' + (M.status_counts[s] || 0) + ')</div>';
    } else if (scenarioOf(colourBy)) {
      const n = {};
      for (const f of (D.parcels ? D.parcels.features : [])) { const c = capacityClass(f.properties); n[c] = (n[c] || 0) + 1; }
      h += '<b>Added floor area, m², ' + esc(scenarioOf(colourBy)) + '</b>';
      for (const c of M.capacity_classes)
        h += '<div><i style="background:' + c.colour + '"></i>' + c.label + ' (' + (n[c.label] || 0) + ')</div>';
      if (n['no value']) h += '<div><i style="background:#dddddd"></i>no value (' + n['no value'] + ')</div>';
    } else {
      const def = M.definitions.find(d => d.column === colourBy);
      const n = {};
      for (const f of (D.parcels ? D.parcels.features : [])) { const l = level(f.properties); n[l] = (n[l] || 0) + 1; }
      h += '<b>Parcels under ' + esc(def.name) + '</b>';
      for (const l of ['available', 'partly available', 'not available', 'not computable'])
        if (l !== 'not computable' || n[l]) h += '<div><i style="background:' + M.level_colours[l] + '"></i>' + l + ' (' + (n[l] || 0) + ')</div>';
    }
    h += '<b>Other layers</b><div><i style="background:#117733;opacity:0.5"></i>usable free space</div>' +
      '<div><i style="background:#5a5a5a"></i>building</div><div><i style="background:#f0f0f0;border:2px solid #222"></i>zone</div>';
    if (D.changes) {
      h += '<b>Changes since ' + M.change_since + '</b>';
      for (const c of M.change_order)
        h += '<div><i style="' + (c === 'retired' ? 'background:none;border:1.5px dashed #000' : 'background:' + M.change_colours[c]) +
          '"></i>' + M.change_labels[c] + ' (' + (M.change_counts[c] || 0) + ')</div>';
    }
    for (const k of Object.keys(M.facility_colours))
      h += '<div><i style="background:' + M.facility_colours[k] + ';border-radius:50%"></i>' + k.replace(/_/g, ' ') + '</div>';
    return h;
  }
  legend.onAdd = () => {
    legendDiv = L.DomUtil.create('div', 'su-legend');
    legendDiv.innerHTML = legendHtml();
    return legendDiv;
  };
  legend.addTo(map);
  // The profile switch: parcels by the occupancy status or by one definition's level.
  if ((M.definitions.length || M.scenarios.length) && parcelLayer) {
    const sw = L.control({ position: 'topleft' });
    sw.onAdd = () => {
      const div = L.DomUtil.create('div', 'su-legend');
      let h = '<b>Colour parcels by</b><select id="su-colour-by"><option value="status">status (' + esc(M.profile) + ')</option>';
      for (const d of M.definitions) h += '<option value="' + esc(d.column) + '">definition: ' + esc(d.name) + '</option>';
      for (const sc of M.scenarios) h += '<option value="scenario:' + esc(sc.name) + '">scenario: ' + esc(sc.name) + ' (added floor area)</option>';
      div.innerHTML = h + '</select>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector('select').addEventListener('change', e => {
        colourBy = e.target.value;
        parcelLayer.setStyle(parcelStyle);
        legendDiv.innerHTML = legendHtml();
        report();
      });
      return div;
    };
    sw.addTo(map);
    // A link may choose the colouring: viewer.html#colour=<definition field prefix>.
    const wanted = (location.hash.match(/colour=([A-Za-z0-9_:]+)/) || [])[1];
    if (wanted && (M.definitions.some(d => d.column === wanted) ||
                   M.scenarios.some(sc => 'scenario:' + sc.name === wanted))) {
      const select = document.getElementById('su-colour-by');
      select.value = wanted;
      select.dispatchEvent(new Event('change'));
    }
  }
  const all = L.featureGroup(Object.values(overlays).filter(l => l.getLayers().length && l !== overlays['Roads']));
  if (D.zones) map.fitBounds(L.geoJSON(D.zones).getBounds(), { padding: [20, 20] });
  else map.fitBounds(all.getBounds());
  // What the page shows, for tests: features per layer and, when the parcels are coloured by a
  // definition, the parcels per level.
  function report() {
    const shown = Object.assign({}, counts, { colour_by: colourBy });
    if (colourBy !== 'status') {
      shown.levels = {};
      for (const f of (D.parcels ? D.parcels.features : [])) {
        const l = scenarioOf(colourBy) ? capacityClass(f.properties) : level(f.properties);
        shown.levels[l] = (shown.levels[l] || 0) + 1;
      }
    }
    const status = document.getElementById('spaceuse-status');
    status.textContent = JSON.stringify(shown);
    status.setAttribute('data-loaded', 'yes');
  }
  report();
})();
)";

}  // namespace

namespace detail {

std::string read_whole_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        throw OutputError("cannot read " + p.string());
    }
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

fs::path library_dir(const char* env, const char* build_dir, const char* install_dir,
                     const std::vector<std::string>& files, const std::string& what) {
    std::vector<std::string> dirs;
    if (const char* e = std::getenv(env)) {
        dirs.emplace_back(e);
    }
    dirs.emplace_back(build_dir);
    dirs.emplace_back(install_dir);
    std::string tried;
    for (const auto& d : dirs) {
        const bool all = !d.empty() && std::all_of(files.begin(), files.end(), [&d](const auto& f) {
            return fs::exists(fs::path(d) / f);
        });
        if (all) {
            return d;
        }
        tried += (tried.empty() ? "" : ", ") + (d.empty() ? std::string("(unset)") : d);
    }
    std::string list;
    for (const auto& f : files) {
        list += (list.empty() ? "" : ", ") + f;
    }
    throw InputError(what + " (" + list + ") not found in " + tried +
                     "; build the project (it fetches it with npm) or set " + env);
}

OutputLayer simplified_for_display(const OutputLayer& layer, double tolerance) {
    OutputLayer out;
    out.name = layer.name;
    out.fields = layer.fields;
    out.rows = layer.rows;
    out.geometries.reserve(layer.rows.size());
    const GeosContext geos;
    for (std::size_t r = 0; r < layer.rows.size(); ++r) {
        const Geometry& g = layer.geometry(r);
        if (const auto* polygons = std::get_if<MultiPolygon>(&g)) {
            const auto simple = geos.simplify_preserving_topology(geos.from(*polygons).get(),
                                                                  tolerance);
            out.geometries.emplace_back(geos.to_multipolygon(simple.get()));
        } else {
            out.geometries.push_back(g);
        }
    }
    return out;
}

const ViewerLayer* ViewerContent::find(const std::string& name) const {
    for (const auto& l : layers) {
        if (l.name == name) {
            return &l;
        }
    }
    return nullptr;
}

std::size_t ViewerContent::features() const {
    std::size_t n = 0;
    for (const auto& l : layers) {
        if (!l.attributes_only) {
            n += l.layer->rows.size();
        }
    }
    return n;
}

std::size_t ViewerContent::estimated_bytes() const {
    // About 21 bytes a vertex ("[4.123456,50.123456],"), 16 an attribute value with its name.
    std::size_t bytes = 0;
    for (const auto& l : layers) {
        const OutputLayer& layer = *l.layer;
        bytes += layer.rows.size() * (40 + 16 * layer.fields.size());
        if (l.attributes_only) {
            continue;
        }
        for (std::size_t r = 0; r < layer.rows.size(); ++r) {
            bytes += 21 *
                     std::visit([](const auto& g) { return bg::num_points(g); }, layer.geometry(r));
        }
    }
    return bytes;
}

ViewerContent viewer_content(const StudyReport& report, const ViewOptions& options) {
    const DocContext ctx = make_context(report);
    ViewerContent content;

    // Inputs are shown around the zones only (1 km beyond them), so a regional road or
    // building layer does not swell the viewer.
    Box near;
    bg::assign_inverse(near);
    for (std::size_t r = 0; r < ctx.zones->rows.size(); ++r) {
        bg::expand(near, envelope(ctx.zones->geometry(r)));
    }
    near = Box(Point(near.min_corner().x() - 1000, near.min_corner().y() - 1000),
               Point(near.max_corner().x() + 1000, near.max_corner().y() + 1000));

    auto add = [&content](const std::string& name, const OutputLayer& layer, bool attributes) {
        content.layers.push_back({name, &layer, nullptr, attributes});
    };
    auto add_owned = [&content](const std::string& name, OutputLayer layer) {
        auto owned = std::make_shared<const OutputLayer>(std::move(layer));
        content.layers.push_back({name, owned.get(), owned, false});
    };
    for (const auto& layer : report.results) {
        if (layer.name == "parcels" || layer.name == "zones" || layer.name == "free_space" ||
            layer.name == "isochrones") {
            add(layer.name, layer, false);
        } else if (layer.name == "access") {
            add(layer.name, layer, true);  // only the attributes: popups join them to parcels
        }
    }
    if (const OutputLayer* defs = report.table("parcel_definitions")) {
        add("definitions", *defs, true);  // popups and the switch join them
    }
    if (const OutputLayer* scenarios = report.table("scenario_parcels")) {
        add("scenarios", *scenarios, true);  // joined as the definitions are
    }
    if (ctx.buildings != nullptr) {
        add_owned("buildings", input_layer(*ctx.buildings, near, "buildings", {}, {}));
    }
    if (ctx.roads != nullptr) {
        add_owned("roads", input_layer(*ctx.roads, near, "roads", {"highway", "name"}, {}));
    }
    if (!ctx.facilities.empty()) {
        OutputLayer all;
        for (std::size_t l = 0; l < ctx.facilities.size(); ++l) {
            OutputLayer part = input_layer(*ctx.facilities[l], near, "facilities", {},
                                           [&ctx, l](std::size_t i) {
                return ctx.facility_kind(l, i);
            });
            if (all.fields.empty()) {
                all = std::move(part);
            } else {
                all.rows.append(part.rows);
                all.geometries.insert(all.geometries.end(), part.geometries.begin(),
                                      part.geometries.end());
            }
        }
        add_owned("facilities", std::move(all));
    }
    content.follow = make_follow_up(report, options.follow_up.since, options.follow_up.diff);
    if (content.follow) {
        add("changes", content.follow->last().parcel_changes, false);
    }
    nlohmann::json meta;
    char hex[8];
    auto colour = [&hex](unsigned rgb) {
        std::snprintf(hex, sizeof hex, "#%06x", rgb);
        return std::string(hex);
    };
    meta["status_colours"] = {{"occupied", colour(StatusColours::occupied)},
                              {"underused", colour(StatusColours::underused)},
                              {"vacant", colour(StatusColours::vacant)}};
    nlohmann::json counts = {{"occupied", 0}, {"underused", 0}, {"vacant", 0}};
    const std::size_t st = *column(*ctx.parcels, "status");
    for (std::size_t r = 0; r < ctx.parcels->rows.size(); ++r) {
        const std::string s = text_at(*ctx.parcels, r, st);
        if (counts.contains(s)) {
            counts[s] = counts[s].get<int>() + 1;
        }
    }
    meta["status_counts"] = counts;
    meta["sources"] = escape_markup(ctx.sources);
    nlohmann::json kinds = nlohmann::json::array();
    for (const auto& [kind, prefix] : ctx.access_kinds) {
        std::string label = kind;
        std::replace(label.begin(), label.end(), '_', ' ');
        kinds.push_back({{"prefix", prefix}, {"label", label}});
    }
    meta["access_kinds"] = kinds;
    // The same symbol colours as the printed maps.
    nlohmann::json fc = nlohmann::json::object();
    for (std::size_t l = 0; l < ctx.facilities.size(); ++l) {
        for (std::size_t i = 0; i < ctx.facilities[l]->features.size(); ++i) {
            const std::string k = ctx.facility_kind(l, i);
            if (k.empty() || fc.contains(k)) {
                continue;
            }
            const bool motorway = k.find("motorway") != std::string::npos;
            const bool rail = k.find("rail") != std::string::npos ||
                              k.find("station") != std::string::npos ||
                              k.find("train") != std::string::npos;
            const bool bus = k.find("bus") != std::string::npos;
            fc[k] = motorway ? "#332288" : rail ? "#aa3377" : bus ? "#44aa99" : "#999933";
        }
    }
    meta["facility_colours"] = fc;
    // The definitions (name and field prefix, in run order) and the common scale's colours:
    // the status colours of the same meaning.
    nlohmann::json defs = nlohmann::json::array();
    const auto manifest = nlohmann::json::parse(report.manifest, nullptr, false);
    if (manifest.is_object() && manifest.contains("definitions")) {
        for (const auto& d : manifest["definitions"]) {
            defs.push_back({{"name", d.value("name", "")}, {"column", d.value("column", "")}});
        }
    }
    meta["definitions"] = defs;
    // The scenarios, and the classes of added floor area of the report's scenario maps.
    nlohmann::json scenario_list = nlohmann::json::array();
    if (manifest.is_object() && manifest.contains("scenarios")) {
        for (const auto& sc : manifest["scenarios"]) {
            scenario_list.push_back(
                {{"name", sc.value("name", "")}, {"title", sc.value("title", "")}});
        }
    }
    meta["scenarios"] = scenario_list;
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& c : scenario_capacity_classes()) {
        classes.push_back({{"from", c.from}, {"label", c.label}, {"colour", colour(c.colour)}});
    }
    meta["capacity_classes"] = classes;
    meta["profile"] = ctx.profile.name;
    meta["level_colours"] = {{"available", colour(StatusColours::vacant)},
                             {"partly available", colour(StatusColours::underused)},
                             {"not available", colour(StatusColours::occupied)},
                             {"not computable", colour(0xDDDDDD)}};
    if (content.follow) {
        // The categories in the legends' order, with their colours, labels and group counts.
        nlohmann::json cc = nlohmann::json::object(), cl = nlohmann::json::object(),
                       cn = nlohmann::json::object(), order = nlohmann::json::array();
        for (int c = 0; c < change_category_count; ++c) {
            const auto cat = static_cast<ChangeCategory>(c);
            order.push_back(change_category_name(cat));
            cc[change_category_name(cat)] = colour(change_colour(cat));
            cl[change_category_name(cat)] = change_label(cat);
            cn[change_category_name(cat)] = 0;
        }
        // Parcels, as the printed legends count them: the current parcels of each group (the
        // earlier ones of a retired group).
        const OutputLayer& pc = content.follow->last().parcel_changes;
        const std::size_t cat = *column(pc, "category");
        const std::size_t after = *column(pc, "parcel_ids_after");
        const std::size_t before = *column(pc, "parcel_ids_before");
        for (std::size_t r = 0; r < pc.rows.size(); ++r) {
            const std::string c = text_at(pc, r, cat);
            const std::string ids = text_at(pc, r, after).empty() ? text_at(pc, r, before)
                                                                  : text_at(pc, r, after);
            cn[c] = cn[c].get<int>() + 1 +
                    static_cast<int>(std::count(ids.begin(), ids.end(), ','));
        }
        meta["change_order"] = order;
        meta["change_colours"] = cc;
        meta["change_labels"] = cl;
        meta["change_counts"] = cn;
        meta["change_since"] = content.follow->since_date();
    }

    content.meta = std::move(meta);
    content.title = options.title.empty() ? ctx.title : options.title;
    content.subtitle_html = "Data date: " +
                            escape_markup(ctx.data_date.empty() ? std::string("unknown")
                                                                : ctx.data_date) +
                            " · CRS of the analysis: " + escape_markup(ctx.crs) +
                            " · click a parcel or zone for its figures";
    return content;
}

}  // namespace detail

std::string viewer_path(const std::string& path, bool tiled) {
    const fs::path p(path);
    if (tiled && p.extension() == ".html") {
        return fs::path(p).replace_extension().string();
    }
    return path;
}

namespace {

void write_single_file(const detail::ViewerContent& content, const CrsInfo& crs,
                       const std::string& path, const WriteOptions& write) {
    using namespace detail;
    const fs::path dir = library_dir("SPACEUSE_LEAFLET_DIR", SPACEUSE_BUILD_LEAFLET_DIR,
                                     SPACEUSE_INSTALL_LEAFLET_DIR, {"leaflet.js", "leaflet.css"},
                                     "Leaflet");
    const std::string leaflet_js = read_whole_file(dir / "leaflet.js");
    const std::string leaflet_css = read_whole_file(dir / "leaflet.css");

    WriteOptions wo;
    wo.precision = 6;  // about 0.1 m, enough for a screen
    std::string data = "{";
    bool first = true;
    for (const auto& l : content.layers) {
        std::string text;
        if (l.attributes_only) {
            OutputLayer a;
            a.name = l.layer->name;
            a.fields = l.layer->fields;
            a.rows = l.layer->rows;
            text = geojson_text(a, crs, wo);
        } else if (l.name == "isochrones") {
            text = geojson_text(simplified_for_display(*l.layer, isochrone_display_tolerance_m),
                                crs, wo);
        } else {
            text = geojson_text(*l.layer, crs, wo);
        }
        data += (first ? "" : ",\n") + nlohmann::json(l.name).dump() + ":" + text;
        first = false;
    }
    data += "}";

    const std::string& title = content.title;
    std::string html;
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += "<title>" + escape_markup(title) + "</title>\n";
    html += "<style>\n" + script_safe(leaflet_css) + "\n</style>\n";
    html += "<style>" + std::string(viewer_css) + "</style>\n";
    html += "<script>\n" + script_safe(leaflet_js) + "\n</script>\n</head>\n<body>\n";
    html += "<div id=\"top\"><h1>" + escape_markup(title) + "</h1><div>" + content.subtitle_html +
            "</div></div>\n";
    html += "<div id=\"map\"></div>\n<div id=\"spaceuse-status\" hidden></div>\n";
    html += "<script>\nconst SPACEUSE_DATA = " + script_safe(data) +
            ";\nconst SPACEUSE_META = " + script_safe(content.meta.dump()) + ";\n" + viewer_js +
            "</script>\n</body>\n</html>\n";
    write_text_file(path, html, write);
}

}  // namespace

ViewerWritten write_viewer(const StudyReport& report, const ViewOptions& options,
                           const std::string& path, const WriteOptions& write) {
    const detail::ViewerContent content = detail::viewer_content(report, options);
    ViewerWritten written;
    written.features = content.features();
    written.estimated_bytes = content.estimated_bytes();
    const bool large = written.features > ViewerLimits::max_features ||
                       written.estimated_bytes > ViewerLimits::max_bytes;
    written.tiled = options.form == ViewerForm::tiled ||
                    (options.form == ViewerForm::automatic && large);
    char mb[32];
    std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(written.estimated_bytes) / 1e6);
    const std::string sizes = std::to_string(written.features) + " features, about " + mb;
    if (options.form == ViewerForm::tiled) {
        written.reason = "tiled, as asked (" + sizes + ")";
    } else if (options.form == ViewerForm::single_file) {
        written.reason = "single file, as asked (" + sizes + ")";
    } else {
        written.reason = std::string(large ? "tiled: " : "single file: ") + sizes +
                         (large ? ", above" : ", within") + " the single-file limits (" +
                         std::to_string(ViewerLimits::max_features) + " features, " +
                         std::to_string(ViewerLimits::max_bytes / 1000000) + " MB)";
    }
    written.path = viewer_path(path, written.tiled);
    if (written.tiled) {
        detail::write_tiled_viewer(content, report, written.path, write, written);
    } else {
        write_single_file(content, report.crs, written.path, write);
    }
    return written;
}

}  // namespace spaceuse
