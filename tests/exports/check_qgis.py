#!/usr/bin/env python3
"""Loads every exported layer of a spaceuse run in QGIS (headless) and checks it.

usage: check_qgis.py OUTPUT_DIR EXPECTED_JSON PNG_OUT [NATIVE_GEOJSON_DIR]

For each layer and each format (GeoPackage, GeoJSON, Shapefile, FlatGeobuf): the layer is valid,
has the expected feature count, field names and types and CRS, and its embedded (GeoPackage
layer_styles) or sidecar (.qml) style was applied: renderer type, classified field and classes.
Then renders the styled GeoPackage layers to PNG_OUT, checks the image is not blank, and checks
that a vacant parcel is drawn in the vacant colour.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

try:
    from qgis.core import (
        QgsApplication,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsRectangle,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize, QVariant
    from qgis.PyQt.QtGui import QColor
except ImportError:
    print("SKIP: the qgis Python module is missing (scripts/setup.sh --tests installs "
          "python3-qgis)", flush=True)
    sys.exit(77)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)
    return condition


def type_class(qvariant_type):
    if qvariant_type in (QVariant.String,):
        return "string"
    if qvariant_type in (QVariant.Double,):
        return "real"
    if qvariant_type in (QVariant.Int, QVariant.LongLong, QVariant.UInt, QVariant.ULongLong):
        return "integer"
    if qvariant_type in (QVariant.Date, QVariant.DateTime):
        return "date"
    return str(qvariant_type)


def field_mapping(shp_path):
    """Shapefile name -> full name, from the <layer>.fields.csv sidecar."""
    mapping = {}
    with open(os.path.splitext(shp_path)[0] + ".fields.csv", encoding="utf-8") as f:
        next(f)
        for line in f:
            short, full = line.rstrip("\n").split(",")
            mapping[short] = full
    return mapping


def check_layer(layer, what, spec, crs_authid, short_names=None):
    if not check(layer.isValid(), f"{what}: layer is not valid"):
        return
    check(layer.featureCount() == spec["features"],
          f"{what}: {layer.featureCount()} features, expected {spec['features']}")
    check(layer.crs().authid() == crs_authid,
          f"{what}: CRS {layer.crs().authid()}, expected {crs_authid}")
    fields = [(f.name(), type_class(f.type())) for f in layer.fields()]
    if what.startswith("gpkg:") and fields and fields[0][0] == "fid":
        fields = fields[1:]  # the GeoPackage's own primary key
    expected = [tuple(x) for x in spec["fields"]]
    if short_names is not None:
        # Shapefile: names through the mapping; the QML gives back the full names as aliases.
        full = [(short_names.get(n, "?" + n), t) for n, t in fields]
        check(full == expected, f"{what}: fields {full} != {expected}")
        aliases = [layer.attributeAlias(i) for i in range(len(fields))]
        check(aliases == [n for n, _ in expected], f"{what}: aliases {aliases}")
    else:
        check(fields == expected, f"{what}: fields {fields} != {expected}")

    style = spec["style"]
    renderer = layer.renderer()
    check(renderer is not None and renderer.type() == style["renderer"],
          f"{what}: renderer {renderer.type() if renderer else None}, expected {style['renderer']}")
    if renderer is None:
        return
    if style["renderer"] == "categorizedSymbol":
        values = [c.value() for c in renderer.categories()]
        check(values == style["classes"], f"{what}: categories {values}")
        check(short_names is not None or renderer.classAttribute() == style["field"],
              f"{what}: classified on {renderer.classAttribute()}")
    elif style["renderer"] == "graduatedSymbol":
        ranges = [[r.lowerValue(), r.upperValue()] for r in renderer.ranges()]
        check(len(ranges) == style["classes"], f"{what}: {len(ranges)} ranges")
        check(short_names is not None or renderer.classAttribute() == style["field"],
              f"{what}: classified on {renderer.classAttribute()}")
    if style.get("labels"):
        check(layer.labelsEnabled() and layer.labeling() is not None, f"{what}: labels are off")


def render(layers, extent, size, path):
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[0].crs())
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    if path:
        image.save(path, "PNG")
    return image, settings


def main():
    out_dir, expected_path, png_path = sys.argv[1:4]
    native_dir = sys.argv[4] if len(sys.argv) > 4 else None
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)

    app = QgsApplication([], False)
    app.initQgis()
    keep = []
    try:
        analysis = expected["analysis_crs"]
        for name, spec in expected["layers"].items():
            gpkg = QgsVectorLayer(f"{out_dir}/spaceuse.gpkg|layername={name}", name, "ogr")
            check_layer(gpkg, f"gpkg:{name}", spec, analysis)
            keep.append(gpkg)
            gj = QgsVectorLayer(f"{out_dir}/{name}.geojson", name, "ogr")
            check_layer(gj, f"geojson:{name}", spec, "EPSG:4326")
            keep.append(gj)
            shp_path = f"{out_dir}/shapefile/{name}.shp"
            shp = QgsVectorLayer(shp_path, name, "ogr")
            check_layer(shp, f"shapefile:{name}", spec, analysis, field_mapping(shp_path))
            keep.append(shp)
            fgb = QgsVectorLayer(f"{out_dir}/flatgeobuf/{name}.fgb", name, "ogr")
            check_layer(fgb, f"flatgeobuf:{name}", spec, analysis)
            keep.append(fgb)
        if native_dir:
            native = QgsVectorLayer(f"{native_dir}/zones.geojson", "zones", "ogr")
            check_layer(native, "geojson-native:zones", expected["layers"]["zones"], analysis)
            keep.append(native)

        # Render the styled GeoPackage layers (first is on top) around the probe's zone.
        by_name = {l.name(): l for l in keep if l.source().startswith(f"{out_dir}/spaceuse.gpkg")}
        order = [by_name[n] for n in ("free_space", "parcels", "zones") if n in by_name]
        probe = expected["vacant_probe"]
        zone = next(f for f in by_name["zones"].getFeatures() if f["zone_id"] == probe["zone_id"])
        extent = QgsRectangle(zone.geometry().boundingBox())
        extent.scale(1.1)
        image, _ = render(order, extent, (1000, 600), png_path)
        colours = set()
        non_white = 0
        for y in range(0, image.height(), 4):
            for x in range(0, image.width(), 4):
                c = image.pixelColor(x, y)
                colours.add((c.red(), c.green(), c.blue()))
                non_white += (c.red(), c.green(), c.blue()) != (255, 255, 255)
        samples = (image.width() // 4) * (image.height() // 4)
        print(f"rendered {png_path}: {len(colours)} colours, {100.0 * non_white / samples:.1f}% "
              "non-white", flush=True)
        check(len(colours) >= 8, f"render: only {len(colours)} colours")
        check(non_white > samples * 0.1, "render: image is (nearly) blank")

        # A vacant parcel is drawn in the vacant colour (parcels alone, no overlay).
        parcels = by_name["parcels"]
        image, settings = render([parcels], extent, (1000, 600), None)
        feature = next(f for f in parcels.getFeatures() if f["parcel_id"] == probe["parcel_id"])
        point = feature.geometry().pointOnSurface().asPoint()
        pixel = settings.mapToPixel().transform(point)
        c = image.pixelColor(int(round(pixel.x())), int(round(pixel.y())))
        want = probe["rgb"]
        close = all(abs(a - b) <= 3 for a, b in zip((c.red(), c.green(), c.blue()), want))
        check(close, f"render: {probe['parcel_id']} drawn as {(c.red(), c.green(), c.blue())}, "
                     f"expected {want}")
    finally:
        print(f"{len(failures)} failure(s)", flush=True)
        # Leaving QGIS with layers alive can crash the interpreter: flush, then exit hard.
        sys.stdout.flush()
        os._exit(1 if failures else 0)


if __name__ == "__main__":
    main()
