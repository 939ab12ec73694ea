"""Screenshots of spaceuse in QGIS for the README: the Processing toolbox with the spaceuse
provider open, and the form of spaceuse:occupancy filled for the bundled sample.

Runs inside the QGIS desktop application (under Xvfb on a server):

    xvfb-run -a -s "-screen 0 1400x1000x24" env QGIS_PLUGINPATH=$PWD/qgis \\
        SPACEUSE_EXECUTABLE=$PWD/build/cli/spaceuse SPACEUSE_SHOTS=docs \\
        SPACEUSE_SAMPLE=$PWD/data/heverlee.gpkg qgis --nologo --noversioncheck \\
        --code qgis/screenshots.py

(with the plugin enabled in the profile: `qgis_process plugins enable spaceuse_processing`).
Writes $SPACEUSE_SHOTS/qgis-toolbox.png and qgis-form.png, then quits QGIS.
"""

import os

import processing
from qgis.core import QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDockWidget, QLineEdit, QTreeView
from qgis.utils import iface

OUT = os.environ.get("SPACEUSE_SHOTS", ".")
SAMPLE = os.environ["SPACEUSE_SAMPLE"]


def toolbox_shot():
    for name in ("zones", "parcels", "buildings"):
        QgsProject.instance().addMapLayer(
            QgsVectorLayer("%s|layername=%s" % (SAMPLE, name), name, "ogr"))
    iface.mainWindow().resize(1400, 1000)
    dock = next(d for d in iface.mainWindow().findChildren(QDockWidget)
                if d.objectName() == "ProcessingToolbox")
    dock.show()
    search = dock.findChild(QLineEdit)
    if search is not None:
        search.setText("spaceuse")
    tree = dock.findChild(QTreeView)
    if tree is not None:
        tree.expandAll()
    QTimer.singleShot(1500, lambda: grab_toolbox(dock))


def grab_toolbox(dock):
    dock.setFloating(True)
    dock.resize(420, 520)
    QApplication.processEvents()
    dock.grab().save(os.path.join(OUT, "qgis-toolbox.png"))
    dock.setFloating(False)
    QTimer.singleShot(500, form_shot)


def form_shot():
    dialog = processing.createAlgorithmDialog("spaceuse:occupancy", {
        "ZONES": QgsProject.instance().mapLayersByName("zones")[0].id(),
        "PARCELS": QgsProject.instance().mapLayersByName("parcels")[0].id(),
        "BUILDINGS": QgsProject.instance().mapLayersByName("buildings")[0].id(),
        "ZONE_ID": "zone_id", "PARCEL_ID": "parcel_id", "ZONE_NAME": "name",
        "FLOORS_FIELD": "floors", "STATUS_FIELD": "status"})
    dialog.resize(900, 860)
    dialog.show()
    QTimer.singleShot(1500, lambda: grab_form(dialog))


def grab_form(dialog):
    dialog.grab().save(os.path.join(OUT, "qgis-form.png"))
    dialog.close()
    QgsProject.instance().setDirty(False)  # no "save the project?" question on the way out
    QTimer.singleShot(200, iface.actionExit().trigger)


QTimer.singleShot(3000, toolbox_shot)
