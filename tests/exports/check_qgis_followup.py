#!/usr/bin/env python3
"""Loads the follow-up layers of `spaceuse diff` (GeoPackage) in QGIS and checks their styles.

usage: check_qgis_followup.py DIFF_DIR PNG_OUT

parcel_changes opens categorised by `category` with the change colours of the report's change
maps (and the alternative styles by change and transition are stored), zone_changes graduated by
`d_vacant_m2` and labelled; rendered, a parcel of each category present is drawn in its colour.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

try:
    from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings,
                           QgsRectangle, QgsVectorLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
except ImportError:
    print("SKIP: the qgis Python module is missing (scripts/setup.sh --tests installs "
          "python3-qgis)", flush=True)
    sys.exit(77)

# The colours of engine/src/render/followup.cpp (change_colour), Paul Tol's "bright" scheme.
CHANGE_COLOURS = {
    "new": "#228833", "split": "#ccbb44", "merged": "#aa3377", "built": "#4477aa",
    "vacated": "#ee6677", "other": "#bbbbbb", "unchanged": "#f2f2f2",
}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)
    return condition


def main():
    diff_dir, png_path = sys.argv[1:3]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        gpkg = f"{diff_dir}/spaceuse.gpkg"
        parcels = QgsVectorLayer(f"{gpkg}|layername=parcel_changes", "parcel_changes", "ogr")
        zones = QgsVectorLayer(f"{gpkg}|layername=zone_changes", "zone_changes", "ogr")
        check(parcels.isValid() and zones.isValid(), "the follow-up layers do not open")
        r = parcels.renderer()
        check(r.type() == "categorizedSymbol" and r.classAttribute() == "category",
              f"parcel_changes: renderer {r.type()} on {getattr(r, 'classAttribute', str)()}")
        colours = {c.value(): c.symbol().color().name() for c in r.categories()}
        for value, colour in CHANGE_COLOURS.items():
            check(colours.get(value) == colour,
                  f"parcel_changes: category {value} is {colours.get(value)}, expected {colour}")
        names = list(parcels.listStylesInDatabase()[2])
        for style in ("category", "change", "transition"):
            check(f"parcel_changes — {style}" in names, f"parcel_changes: no stored style '{style}' (has {names})")
        z = zones.renderer()
        check(z.type() == "graduatedSymbol" and z.classAttribute() == "d_vacant_m2",
              f"zone_changes: renderer {z.type()}")
        check(zones.labelsEnabled(), "zone_changes: labels are off")

        # Each category present is drawn in its colour at a point inside one of its parcels.
        extent = QgsRectangle(parcels.extent())
        extent.scale(1.05)
        settings = QgsMapSettings()
        settings.setLayers([parcels])
        settings.setDestinationCrs(parcels.crs())
        settings.setOutputSize(QSize(3000, 1000))
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setExtent(extent)
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(png_path, "PNG")
        seen = set()
        for f in parcels.getFeatures():
            cat = f["category"]
            if cat in seen or cat not in CHANGE_COLOURS:
                continue
            point = f.geometry().pointOnSurface().asPoint()
            pixel = settings.mapToPixel().transform(point)
            c = image.pixelColor(int(round(pixel.x())), int(round(pixel.y())))
            want = QColor(CHANGE_COLOURS[cat])
            if all(abs(a - b) <= 3 for a, b in zip((c.red(), c.green(), c.blue()),
                                                    (want.red(), want.green(), want.blue()))):
                seen.add(cat)
        for cat in ("new", "split", "merged", "built", "unchanged"):
            check(cat in seen, f"render: no '{cat}' parcel drawn in {CHANGE_COLOURS[cat]}")
    finally:
        print(f"{len(failures)} failure(s)", flush=True)
        sys.stdout.flush()
        os._exit(1 if failures else 0)


main()
