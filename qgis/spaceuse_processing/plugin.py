"""The plugin: adds the spaceuse provider to the Processing registry."""

from qgis.core import QgsApplication

from .provider import SpaceuseProvider


class SpaceusePlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name; qgis_process calls it)
        if self.provider is None:
            self.provider = SpaceuseProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
