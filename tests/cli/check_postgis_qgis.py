#!/usr/bin/python3
"""QGIS (headless) opens published spaceuse tables from PostGIS with the styles spaceuse wrote
to public.layer_styles: the same renderer and classification as the snapshot's GeoPackage
layer, and renders them.

    check_postgis_qgis.py CONNINFO RESULTS_DIR PNG_OUT
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

try:
    from qgis.core import (QgsApplication, QgsDataSourceUri, QgsMapRendererParallelJob,
                           QgsMapSettings, QgsVectorLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
except ImportError:
    print("SKIP: the qgis Python module is missing (scripts/setup.sh --tests installs python3-qgis)")
    sys.exit(77)

conninfo, results, png = sys.argv[1:4]
app = QgsApplication([], False)
app.initQgis()
failures = []


def check(cond, message):
    print(("ok   " if cond else "FAIL ") + message, flush=True)
    if not cond:
        failures.append(message)


def describe(renderer):
    if renderer is None:
        return None
    kind = renderer.type()
    attr = renderer.classAttribute() if hasattr(renderer, "classAttribute") else None
    n = len(renderer.categories()) if kind == "categorizedSymbol" else (
        len(renderer.ranges()) if kind == "graduatedSymbol" else 0)
    return kind, attr, n


layers = []
for table in ("parcels", "parcels_latest", "zones"):
    uri = QgsDataSourceUri(conninfo)
    uri.setDataSource("spaceuse", table, "geom", "", "fid")
    layer = QgsVectorLayer(uri.uri(False), table, "postgres")
    check(layer.isValid(), f"{table}: opens from PostGIS")
    if not layer.isValid():
        continue
    base = table.replace("_latest", "")
    gpkg = QgsVectorLayer(f"{results}/spaceuse.gpkg|layername={base}", base, "ogr")
    want, got = describe(gpkg.renderer()), describe(layer.renderer())
    check(want is not None and want[0] != "singleSymbol" and got == want,
          f"{table}: style from layer_styles applied: {got}, the snapshot's {want}")
    check(layer.featureCount() > 0, f"{table}: {layer.featureCount()} features")
    layers.append(layer)

if layers:
    settings = QgsMapSettings()
    settings.setLayers([l for l in layers if l.name() != "parcels_latest"])
    settings.setExtent(layers[0].extent())
    settings.setDestinationCrs(layers[0].crs())
    settings.setOutputSize(QSize(800, 600))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png)
    colours = {image.pixel(x, y) for x in range(0, 800, 8) for y in range(0, 600, 8)}
    check(len(colours) > 3, f"rendered {png}: {len(colours)} colours")

print("done", flush=True)
sys.stdout.flush()
os._exit(1 if failures else 0)
